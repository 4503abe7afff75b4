/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Bounded d_path for BPF: walks a struct path up through dentries and mounts into a per-CPU
 * scratch buffer, leaf first. Shared by bpf/process.bpf.c (binary, cwd) and bpf/hook.bpf.c
 * (file, path and fd arguments, the current binary). Needs bpf_loop (5.17+).
 */
#ifndef VIGIL_PATH_H
#define VIGIL_PATH_H

#define NAME_CHUNK 256              /* longest path component copied (NAME_MAX + NUL) */
#define WALK_SIZE VIGIL_PATH_MAX    /* a walked path ends at walk.buf[WALK_SIZE] */
#define PATH_DEPTH 128              /* dentry/mount steps of one path walk */

/* Paths are assembled backwards (leaf first) into buf, ending at buf[WALK_SIZE]; the slack
 * past WALK_SIZE only exists so the verifier can bound a component write at any offset. */
struct walk_scratch {
	char buf[WALK_SIZE + NAME_CHUNK];
	char name[NAME_CHUNK];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct walk_scratch);
} vigil_walk SEC(".maps");

static const __u32 zero;

#define WALK_DONE  1u
#define WALK_TRUNC 2u
#define WALK_ERR   4u

/* ---- dentry/mount walk (what d_path does, bounded) ---- */

struct path_walk {
	struct dentry *dentry;
	struct vfsmount *vfsmnt;
	struct dentry *root_dentry;
	struct vfsmount *root_mnt;
	__u32 off;   /* the path so far is buf[off, WALK_SIZE) */
	__u32 state; /* WALK_* */
};

static __always_inline struct mount *real_mount(struct vfsmount *m)
{
	return (struct mount *)((void *)m - bpf_core_field_offset(struct mount, mnt));
}

static long path_step(__u32 i, void *arg)
{
	struct path_walk *w = arg;
	struct walk_scratch *s = bpf_map_lookup_elem(&vigil_walk, &zero);
	struct dentry *d = w->dentry, *mnt_root, *parent;
	struct vfsmount *vfsmnt = w->vfsmnt;
	const unsigned char *name;
	__u32 len, o;

	if (!s || !d) {
		w->state |= WALK_DONE | WALK_ERR;
		return 1;
	}
	if (d == w->root_dentry && vfsmnt == w->root_mnt) {
		w->state |= WALK_DONE;
		return 1;
	}
	mnt_root = BPF_CORE_READ(vfsmnt, mnt_root);
	parent = BPF_CORE_READ(d, d_parent);
	if (d == mnt_root || d == parent) {
		struct mount *m = real_mount(vfsmnt);
		struct mount *mp = BPF_CORE_READ(m, mnt_parent);

		/* Global root (a mount that is its own parent) or a dentry outside any reachable
		 * mount (fs root that is not the mount root): the path is complete. */
		if (d != mnt_root || mp == m || !mp) {
			w->state |= WALK_DONE;
			return 1;
		}
		w->dentry = BPF_CORE_READ(m, mnt_mountpoint);
		w->vfsmnt = (struct vfsmount *)((void *)mp + bpf_core_field_offset(struct mount, mnt));
		return 0;
	}
	len = BPF_CORE_READ(d, d_name.len);
	name = BPF_CORE_READ(d, d_name.name);
	if (len >= NAME_CHUNK || w->off < len + 1) {
		w->state |= WALK_DONE | WALK_TRUNC;
		return 1;
	}
	w->off -= len + 1;
	o = w->off & (WALK_SIZE - 1);
	s->buf[o] = '/';
	bpf_probe_read_kernel(&s->buf[o + 1], len & (NAME_CHUNK - 1), name);
	w->dentry = parent;
	return 0;
}

/* Walks path (relative to the task's root) into the scratch buffer; returns the start offset
 * of the path in walk.buf (the path ends at WALK_SIZE) and ORs WALK_* into *state. */
static __always_inline __u32 walk_path(const struct path *path, const struct path *root,
				       __u32 *state)
{
	struct path_walk w = {
		.dentry = BPF_CORE_READ(path, dentry),
		.vfsmnt = BPF_CORE_READ(path, mnt),
		.root_dentry = BPF_CORE_READ(root, dentry),
		.root_mnt = BPF_CORE_READ(root, mnt),
		.off = WALK_SIZE,
	};

	bpf_loop(PATH_DEPTH, path_step, &w, 0);
	if (!(w.state & WALK_DONE))
		w.state |= WALK_TRUNC; /* depth bound hit */
	*state |= w.state;
	return w.off;
}

/* Where a walked path starts in s->buf: at off, or a lone "/" when nothing was above the root. */
static __always_inline __u32 walked_start(struct walk_scratch *s, __u32 off)
{
	if (off < WALK_SIZE)
		return off;
	s->buf[WALK_SIZE - 1] = '/';
	return WALK_SIZE - 1;
}

#endif /* VIGIL_PATH_H */
