const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Where the spinner draws: process.stderr unless a test gives another. */
export interface SpinnerStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * Awaits `work` with a spinner and `label` on stderr while it runs — only when stderr is a
 * terminal, and only after a short delay (a fast answer draws nothing), so pipes, files and
 * scripts see exactly the command's output. The line is erased before the result is printed.
 */
export async function withSpinner<T>(
  label: string,
  work: Promise<T>,
  stream: SpinnerStream = process.stderr,
  delayMs = 150,
): Promise<T> {
  if (!stream.isTTY) return work;
  let frame = 0;
  let drawn = false;
  const draw = () => {
    drawn = true;
    stream.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${label}`);
  };
  let interval: NodeJS.Timeout | undefined;
  const start = setTimeout(() => {
    draw();
    interval = setInterval(draw, 80);
  }, delayMs);
  try {
    return await work;
  } finally {
    clearTimeout(start);
    clearInterval(interval);
    if (drawn) stream.write('\r\x1b[2K');
  }
}
