import { cacheMemoryBench } from './cache-memory';

// A fresh process for the memory reading: prints the BenchResult as JSON on stdout.
process.stdout.write(JSON.stringify(cacheMemoryBench({ processes: Number(process.argv[2] ?? 65_536) })));
