// SPDX-License-Identifier: GPL-2.0
/* memscope cachestat/cachetop: the page cache as readers see it.
 *
 * Requests: a read asks for pages [index, last] of a file (clamped to its
 * end). Misses: the pages of that range that were not in the page cache
 * when the read began needing them. Every such page is added to the page
 * cache by the reader itself, just before (sync readahead, or a single
 * page) or some reads earlier (async readahead, one window ahead), so:
 *
 * - each page added in a task's context is remembered, per (file, 64
 *   pages), as "added by this process, not yet requested";
 * - a read's range takes the remembered pages of its own process out as
 *   misses (pages another process added are hits for it: they were in
 *   the cache when it asked, and they are no one's waste any more);
 * - an evicted page still remembered is readahead waste, charged to the
 *   process that added it; what is left at the end is waste too;
 * - a page that its adder then dirties was added by a write, not by
 *   readahead: it moves to write adds;
 * - pages added while the task is in a page fault on that file are mmap
 *   adds (misses of the fault path), remembered for nothing.
 *
 * Where the requests come from: the return of filemap_read() (fexit, or
 * a kretprobe) with the bytes it copied; or the mm_filemap_get_pages
 * tracepoint (6.11+), which fires at the end of each batch of a read,
 * after that batch's readahead, with the range still to read (a repeat
 * from the same thread with the same file and end, a higher start and no
 * read syscall ended since is the same read). The kernel skips that tracepoint for a batch whose last
 * folio it had to wait for, and uses the batch without that folio: when
 * that is a read's first batch, the read is seen from its second batch
 * on. User space prefers fexit for that. Faults: the entry and return of
 * filemap_fault(), or mm_filemap_fault (6.11+). Adds, evictions,
 * dirtying: tracepoints everywhere. */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "cache.h"

#define STATS_NR ST_NR
#include "lib/common.bpf.h"

#define PAGE_SHIFT 12
/* Longest request scanned for its own readahead adds, in chunks (of 64
 * pages): 256 MiB. Longer ones are counted (ST_LOOP_CUT). */
#define SCAN_CHUNKS 1024

const volatile __u32 by = BY_NONE;
/* Set in kprobe mode: kprobe programs keep per-thread state in a hash
 * (task storage is not theirs on older kernels); the others in task
 * storage, a pointer away from the task. */
const volatile bool thread_hash;
/* make bench only (MEMSCOPE_BENCH_FLOOR): the request programs return at
 * once, so a benchmark measures what running any program there costs. */
const volatile bool floor_only;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cache_counts);
} totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);	/* resized by user space */
	__type(key, struct cache_key);
	__type(value, struct cache_entity);
} entities SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct chunk_key);
	__type(value, struct chunk_val);
} chunks SEC(".maps");

/* How many chunks are remembered per hash bucket of (file, chunk): a
 * read whose chunk's bucket holds none skips the hash lookup, the common
 * case of a read of cached data. Incremented before a chunk is created,
 * decremented by whoever deletes it: exact, whatever the races. */
#define PRESENCE_BUCKETS 65536

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, PRESENCE_BUCKETS);
	__type(key, __u32);
	__type(value, __u32);
} presence SEC(".maps");

/* By inode number, not the mapping pointer: a tp_btf program may not do
 * arithmetic on a trusted pointer. */
static __always_inline __u32 *presence_of(__u64 ino, __u64 c)
{
	__u32 b = (__u32)(((ino << 16) ^ c) * 0x9E3779B97F4A7C15ULL >> 40) & (PRESENCE_BUCKETS - 1);

	return bpf_map_lookup_elem(&presence, &b);
}

/* What a thread is doing: the read it is in (for repeats of
 * mm_filemap_get_pages), the fault it is in, a filemap_read() or
 * filemap_splice_read() entry waiting for its return (kprobe mode). */
struct thread_state {
	__u64 mapping, last, index;	/* the current read */
	__u64 syscr;			/* its task's read syscalls before it */
	__u64 fault_mapping, fault_index;
	/* kprobe mode: the arguments of filemap_read() (iocb, already) or,
	 * splice set, of filemap_splice_read() (in, ppos) */
	__u64 iocb, already;
	__u64 splice;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u32);
	__type(value, struct thread_state);
} threads SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct thread_state);
} thread_store SEC(".maps");

/* --by file: each row's path, made with the row (sized by user space). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, 1);
	__type(key, struct cache_key);
	__type(value, struct cache_name);
} names SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct cache_name);
} name_scratch SEC(".maps");

#define FIELD(f) (__builtin_offsetof(struct cache_counts, f) / sizeof(__u64))

static __always_inline struct thread_state *thread(bool create)
{
	struct thread_state zero = {}, *ts;
	__u32 tid;

	if (!thread_hash) {
		ts = bpf_task_storage_get(&thread_store, bpf_get_current_task_btf(), NULL,
					  create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
		if (!ts && create)
			count(ST_THREADS_FULL);
		return ts;
	}
	tid = kernel_tid();
	ts = bpf_map_lookup_elem(&threads, &tid);
	if (ts || !create)
		return ts;
	if (bpf_map_update_elem(&threads, &tid, &zero, BPF_NOEXIST) &&
	    !bpf_map_lookup_elem(&threads, &tid)) {
		count(ST_THREADS_FULL);
		return NULL;
	}
	return bpf_map_lookup_elem(&threads, &tid);
}

static __always_inline void file_of(struct address_space *m, __u64 *dev, __u64 *ino)
{
	struct inode *host = BPF_CORE_READ(m, host);

	*dev = BPF_CORE_READ(host, i_sb, s_dev);
	*ino = BPF_CORE_READ(host, i_ino);
}

/* A file's path from the first dentry of its inode up to its file
 * system's root, innermost first (struct cache_name). Written into the
 * first CACHE_PATH_LEN bytes, a component at most CACHE_NAME_CAP past
 * them: the masked offset and the constant size keep every write inside
 * the value, as the verifier must see. */
static __always_inline void file_name(const struct cache_key *k, struct address_space *m)
{
	struct inode *host = BPF_CORE_READ(m, host);
	struct hlist_node *first = BPF_CORE_READ(host, i_dentry.first);
	struct dentry *d, *parent;
	struct cache_name *nm;
	__u32 zero = 0, pos = 0;

	nm = bpf_map_lookup_elem(&name_scratch, &zero);
	if (!nm || !first)
		return;
	__builtin_memset(nm, 0, sizeof(*nm));
	d = (void *)first - bpf_core_field_offset(struct dentry, d_u.d_alias);
	for (int i = 0; i < CACHE_PATH_DEPTH && d && pos < CACHE_PATH_LEN; i++) {
		__u32 off = pos;
		long n;

		/* Masked where the verifier sees it: clang would drop the mask
		 * (pos < CACHE_PATH_LEN here), and the 6.1 verifier does not
		 * carry that bound to pos's copy on the stack. */
		barrier_var(off);
		off &= CACHE_PATH_LEN - 1;
		n = bpf_probe_read_kernel_str(&nm->buf[off], CACHE_NAME_CAP,
					      BPF_CORE_READ(d, d_name.name));
		if (n <= 0)
			break;
		pos += n;
		parent = BPF_CORE_READ(d, d_parent);
		if (parent == d)
			break;
		d = parent;
	}
	bpf_map_update_elem(&names, k, nm, BPF_NOEXIST);
}

/* The entity the current task's events go to under --by, made when new:
 * who it is (process: comm and uid; file: its name). NULL: none kept. */
static __always_inline struct cache_entity *entity_key(const struct cache_key *k,
						       struct address_space *m, bool current)
{
	struct cache_entity *e = bpf_map_lookup_elem(&entities, k), ne = {};
	struct cache_key other = { CACHE_OTHER, CACHE_OTHER };

	if (e)
		return e;
	if (by == BY_PROCESS && current) {
		bpf_get_current_comm(ne.comm, sizeof(ne.comm));
		ne.uid = (__u32)bpf_get_current_uid_gid();
	}
	if (bpf_map_update_elem(&entities, k, &ne, BPF_NOEXIST)) {
		e = bpf_map_lookup_elem(&entities, k);
		if (e)
			return e;
		count(ST_ENTITIES_FULL);
		return bpf_map_lookup_elem(&entities, &other);
	}
	if (by == BY_FILE && m)
		file_name(k, m);
	return bpf_map_lookup_elem(&entities, k);
}

/* The current task's entity for events on file m. */
static __always_inline struct cache_entity *entity_current(struct address_space *m)
{
	struct cache_key k = {};

	switch (by) {
	case BY_PROCESS:
		k.a = current_ids().tgid;
		break;
	case BY_CGROUP:
		k.a = current_memcg_id();
		break;
	case BY_FILE:
		file_of(m, &k.a, &k.b);
		break;
	default:
		return NULL;
	}
	return entity_key(&k, m, true);
}

/* The entity of pages remembered in chunk v (waste goes to their adder). */
static __always_inline struct cache_entity *entity_adder(const struct chunk_val *v,
							 struct address_space *m)
{
	struct cache_key k = {};

	switch (by) {
	case BY_PROCESS:
		k.a = v->tgid;
		break;
	case BY_CGROUP:
		k.a = v->memcg;
		break;
	case BY_FILE:
		k.a = v->dev;
		k.b = v->ino;
		break;
	default:
		return NULL;
	}
	return entity_key(&k, m, false);
}

/* Add n to counter field of the system and of entity e (may be NULL). */
static __always_inline void add(struct cache_entity *e, __u32 field, __u64 n)
{
	struct cache_counts *t;
	__u32 zero = 0;

	if (!n)
		return;
	t = bpf_map_lookup_elem(&totals, &zero);
	if (t && field < CACHE_NCOUNTS)
		((__u64 *)t)[field] += n;
	if (e && field < CACHE_NCOUNTS)
		__sync_fetch_and_add(&((__u64 *)&e->c)[field], n);
}

static __always_inline __u64 popcount(__u64 x)
{
	x = x - ((x >> 1) & 0x5555555555555555ULL);
	x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
	x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
	return (x * 0x0101010101010101ULL) >> 56;
}

/* The bits of pages [first, last] within chunk c. */
static __always_inline __u64 chunk_mask(__u64 c, __u64 first, __u64 last)
{
	__u64 lo = c << CHUNK_SHIFT, hi = lo + CHUNK_PAGES - 1, mask = ~0ULL;

	if (first > lo)
		mask &= ~0ULL << (first - lo);
	if (last < hi)
		mask &= ~0ULL >> (hi - last);
	return mask;
}

/* Take pages [first, last] of chunk c out of what is remembered; returns
 * the bits that were set, the chunk in *val. */
static __always_inline __u64 chunk_take(__u64 mapping, __u64 ino, __u64 c, __u64 first,
					__u64 last, struct chunk_val *val)
{
	struct chunk_key k = { mapping, c };
	__u32 *p = presence_of(ino, c);
	struct chunk_val *v;
	__u64 mask, old;

	if (!p || !*p)
		return 0;
	v = bpf_map_lookup_elem(&chunks, &k);
	if (!v)
		return 0;
	mask = chunk_mask(c, first, last);
	old = __sync_fetch_and_and(&v->bits, ~mask);
	*val = *v;
	if (!(old & ~mask) && !bpf_map_delete_elem(&chunks, &k))
		__sync_fetch_and_sub(p, 1);
	return old & mask;
}

struct take_ctx {
	struct address_space *m;
	__u64 ino, first, last, c0;
	__u32 tgid;
	__u64 own;		/* pages of tgid's own readahead: misses */
};

static long take_one(__u64 i, void *arg)
{
	struct take_ctx *t = arg;
	struct chunk_val v;
	__u64 bits = chunk_take((__u64)t->m, t->ino, t->c0 + i, t->first, t->last, &v);

	if (bits && v.tgid == t->tgid)
		t->own += popcount(bits);
	return 0;
}

/* A read of pages [first, last] of m by the current task: its own
 * readahead's pages there are misses; remembered pages of others are
 * simply no longer anyone's waste. */
static __always_inline __u64 take_range(struct address_space *m, __u64 ino, __u64 first,
					__u64 last, __u32 tgid)
{
	struct take_ctx t = { m, ino, first, last, first >> CHUNK_SHIFT, tgid, 0 };
	__u64 n = (last >> CHUNK_SHIFT) - t.c0 + 1;

	if (n == 1) {
		/* Most reads: one chunk, no loop. */
		take_one(0, &t);
		return t.own;
	}
	if (n > SCAN_CHUNKS) {
		count(ST_LOOP_CUT);
		n = SCAN_CHUNKS;
	}
	bpf_loop(n, take_one, &t, 0);
	return t.own;
}

/* A read asked for [index, last] of m, whose file has size bytes (new:
 * not a repeat of the same read); done reading up to there. */
static __always_inline void on_read(struct address_space *m, __s64 size, __u64 ino,
				    __u64 index, __u64 last, bool new, __u32 tgid)
{
	struct cache_entity *e = entity_current(m);
	__s64 eof = size > 0 ? (size - 1) >> PAGE_SHIFT : -1;
	__u64 requested = 0, misses = 0;
	struct cache_counts *t;
	__u32 zero = 0;

	if (eof >= 0 && index <= (__u64)eof) {
		if (last > (__u64)eof)
			last = eof;
		requested = new ? last - index + 1 : 0;
		misses = take_range(m, ino, index, last, tgid);
	}
	/* The system's counters: one lookup for all three. */
	t = bpf_map_lookup_elem(&totals, &zero);
	if (t) {
		t->reads += new;
		t->requested += requested;
		t->misses += misses;
	}
	if (e) {
		if (new)
			__sync_fetch_and_add(&e->c.reads, 1);
		if (requested)
			__sync_fetch_and_add(&e->c.requested, requested);
		if (misses)
			__sync_fetch_and_add(&e->c.misses, misses);
	}
}

/* ---- requests: mm_filemap_get_pages (6.11+) ---------------------------- */

SEC("tp_btf/mm_filemap_get_pages")
int BPF_PROG(get_pages, struct address_space *m, unsigned long index, unsigned long last)
{
	struct task_ids ids = current_ids();
	struct thread_state *ts;
	__u64 syscr = 0;
	bool repeat;

	if (floor_only)
		return 0;
	if (ids.tgid == self_tgid || (target_tgid && ids.tgid != target_tgid) ||
	    !in_target_memcg())
		return 0;
	/* The read syscalls the task made are counted as each one ends
	 * (ioac.syscr, CONFIG_TASK_XACCT): a change says this is a new read
	 * even if it ends where the last one did and starts after it. */
	if (bpf_core_field_exists(struct task_struct, ioac))
		syscr = bpf_get_current_task_btf()->ioac.syscr;
	ts = thread(true);
	repeat = ts && ts->mapping == (__u64)m && ts->last == last && index > ts->index &&
		 ts->syscr == syscr;
	if (ts) {
		ts->mapping = (__u64)m;
		ts->last = last;
		ts->index = index;
		ts->syscr = syscr;
		ts->fault_mapping = 0;
	}
	/* A trusted pointer: read directly, no helper calls. */
	on_read(m, m->host->i_size, m->host->i_ino, index, last, !repeat, ids.tgid);
	return 0;
}

/* ---- requests: the return of filemap_read() ------------------------------ */

/* A read of m copied `copied` bytes ending at byte end. */
static __always_inline void copied_done(struct address_space *m, __s64 end, __s64 copied)
{
	struct thread_state *ts = thread(false);

	if (ts)
		ts->fault_mapping = 0;
	if (copied <= 0) {
		add(entity_current(m), FIELD(reads), 1);
		return;
	}
	on_read(m, BPF_CORE_READ(m, host, i_size), BPF_CORE_READ(m, host, i_ino),
		(end - copied) >> PAGE_SHIFT, (end - 1) >> PAGE_SHIFT, true, current_ids().tgid);
}

/* filemap_read(iocb, iter, already_read) returned ret: it copied
 * ret - already_read bytes ending at iocb->ki_pos. */
static __always_inline void read_done(struct kiocb *iocb, __s64 already, __s64 ret)
{
	struct file *f = BPF_CORE_READ(iocb, ki_filp);

	copied_done(BPF_CORE_READ(f, f_mapping), BPF_CORE_READ(iocb, ki_pos), ret - already);
}

/* filemap_splice_read(in, ppos, pipe, len, flags) returned ret: it moved
 * ret bytes into a pipe, *ppos now past them. splice() and sendfile()
 * from a file read it so on 6.5+ (before, through filemap_read()). */
static __always_inline void splice_done(struct file *in, loff_t *ppos, __s64 ret)
{
	loff_t end = 0;

	if (ret > 0 && bpf_probe_read_kernel(&end, sizeof(end), ppos))
		return;
	copied_done(BPF_CORE_READ(in, f_mapping), end, ret);
}

SEC("fexit/filemap_read")
int BPF_PROG(filemap_read_exit, struct kiocb *iocb, struct iov_iter *iter, ssize_t already,
	     ssize_t ret)
{
	if (!skip_current())
		read_done(iocb, already, ret);
	return 0;
}

SEC("fexit/filemap_splice_read")
int BPF_PROG(splice_read_exit, struct file *in, loff_t *ppos, void *pipe, size_t len,
	     unsigned int flags, ssize_t ret)
{
	if (!skip_current())
		splice_done(in, ppos, ret);
	return 0;
}

SEC("kprobe/filemap_read")
int BPF_KPROBE(filemap_read_entry, struct kiocb *iocb, struct iov_iter *iter, ssize_t already)
{
	struct thread_state *ts;

	if (floor_only || skip_current() || !(ts = thread(true)))
		return 0;
	ts->iocb = (__u64)iocb;
	ts->already = already;
	ts->splice = 0;
	return 0;
}

SEC("kprobe/filemap_splice_read")
int BPF_KPROBE(splice_read_entry, struct file *in, loff_t *ppos)
{
	struct thread_state *ts;

	if (floor_only || skip_current() || !(ts = thread(true)))
		return 0;
	ts->iocb = (__u64)in;
	ts->already = (__u64)ppos;
	ts->splice = 1;
	return 0;
}

/* The return of either: what its entry kept says which. */
static __always_inline int read_return(__s64 ret)
{
	struct thread_state *ts;

	if (floor_only || skip_current() || !(ts = thread(false)) || !ts->iocb)
		return 0;
	if (ts->splice)
		splice_done((struct file *)ts->iocb, (loff_t *)ts->already, ret);
	else
		read_done((struct kiocb *)ts->iocb, ts->already, ret);
	ts->iocb = 0;
	return 0;
}

SEC("kretprobe/filemap_read")
int BPF_KRETPROBE(filemap_read_return, ssize_t ret)
{
	return read_return(ret);
}

SEC("kretprobe/filemap_splice_read")
int BPF_KRETPROBE(splice_read_return, ssize_t ret)
{
	return read_return(ret);
}

/* ---- faults -------------------------------------------------------------- */

static __always_inline void on_fault(struct address_space *m, __u64 index)
{
	struct thread_state *ts;

	if (skip_current())
		return;
	add(entity_current(m), FIELD(faults), 1);
	ts = thread(true);
	if (ts) {
		ts->fault_mapping = (__u64)m;
		ts->fault_index = index;
	}
}

SEC("tp_btf/mm_filemap_fault")
int BPF_PROG(fault_tp, struct address_space *m, unsigned long index)
{
	on_fault(m, index);
	return 0;
}

SEC("fentry/filemap_fault")
int BPF_PROG(fault_fentry, struct vm_fault *vmf)
{
	on_fault(BPF_CORE_READ(vmf, vma, vm_file, f_mapping), BPF_CORE_READ(vmf, pgoff));
	return 0;
}

SEC("kprobe/filemap_fault")
int BPF_KPROBE(fault_kprobe, struct vm_fault *vmf)
{
	on_fault(BPF_CORE_READ(vmf, vma, vm_file, f_mapping), BPF_CORE_READ(vmf, pgoff));
	return 0;
}

/* Where the fault's end is seen, adds after it are not the fault's. */
static __always_inline void fault_done(void)
{
	struct thread_state *ts = thread(false);

	if (ts)
		ts->fault_mapping = 0;
}

SEC("fexit/filemap_fault")
int BPF_PROG(fault_fexit, struct vm_fault *vmf, vm_fault_t ret)
{
	fault_done();
	return 0;
}

SEC("kretprobe/filemap_fault")
int BPF_KRETPROBE(fault_kretprobe)
{
	fault_done();
	return 0;
}

/* ---- adds, evictions, dirtying: tracepoints everywhere ------------------ */

static __always_inline void folio_range(struct folio *folio, struct address_space **m,
					__u64 *first, __u64 *n)
{
	*m = BPF_CORE_READ(folio, mapping);
	*first = BPF_CORE_READ(folio, index);
	*n = 1ULL << (folio_order_of(folio) & 15);
}

SEC("tp_btf/mm_filemap_add_to_page_cache")
int BPF_PROG(page_added, struct folio *folio)
{
	struct thread_state *ts = NULL;
	struct address_space *m;
	__u64 first, n, dev, ino, memcg;
	__u32 tgid;

	if (skip_current())
		return 0;
	folio_range(folio, &m, &first, &n);
	/* In a fault on this file: the fault's own page and its readahead.
	 * (With the tracepoint alone the fault's end is not seen: until the
	 * thread's next read or fault, its adds to that file count here.) */
	ts = thread(false);
	if (ts && ts->fault_mapping == (__u64)m) {
		add(entity_current(m), FIELD(mmap_add), n);
		return 0;
	}
	/* Remembered per chunk; the adder's entity made now, while it is the
	 * current task (its name is at hand). */
	entity_current(m);
	file_of(m, &dev, &ino);
	memcg = by == BY_CGROUP ? current_memcg_id() : 0;
	tgid = current_ids().tgid;
	for (int i = 0; i < 9; i++) {
		__u64 c = (first >> CHUNK_SHIFT) + i, last = first + n - 1;
		struct chunk_key k = { (__u64)m, c };
		struct chunk_val *v, nv = { 0, memcg, dev, ino, tgid, 0 };

		if ((c << CHUNK_SHIFT) > last)
			break;
		v = bpf_map_lookup_elem(&chunks, &k);
		if (!v) {
			__u32 *p = presence_of(ino, c);

			if (!p)
				return 0;
			__sync_fetch_and_add(p, 1);
			if (bpf_map_update_elem(&chunks, &k, &nv, BPF_NOEXIST))
				__sync_fetch_and_sub(p, 1);
			v = bpf_map_lookup_elem(&chunks, &k);
			if (!v) {
				count(ST_CHUNKS_FULL);
				return 0;
			}
		}
		v->tgid = tgid;
		v->memcg = memcg;
		__sync_fetch_and_or(&v->bits, chunk_mask(c, first, last));
	}
	return 0;
}

SEC("tp_btf/mm_filemap_delete_from_page_cache")
int BPF_PROG(page_deleted, struct folio *folio)
{
	struct address_space *m;
	__u64 first, n;

	folio_range(folio, &m, &first, &n);
	for (int i = 0; i < 9; i++) {
		__u64 c = (first >> CHUNK_SHIFT) + i, last = first + n - 1, bits;
		struct chunk_val v;

		if ((c << CHUNK_SHIFT) > last)
			break;
		bits = chunk_take((__u64)m, BPF_CORE_READ(m, host, i_ino), c, first, last, &v);
		if (bits)
			add(entity_adder(&v, m), FIELD(ra_waste), popcount(bits));
	}
	return 0;
}

SEC("tp_btf/writeback_dirty_folio")
int BPF_PROG(page_dirtied, struct folio *folio, struct address_space *mapping)
{
	struct cache_entity *e;
	struct address_space *m;
	__u64 first, n;

	if (skip_current())
		return 0;
	folio_range(folio, &m, &first, &n);
	if (!m)
		return 0;
	e = entity_current(m);
	add(e, FIELD(dirtied), n);
	/* Its own add, now dirtied: a write added it, not readahead. */
	for (int i = 0; i < 9; i++) {
		__u64 c = (first >> CHUNK_SHIFT) + i, last = first + n - 1, bits;
		struct chunk_val v;

		if ((c << CHUNK_SHIFT) > last)
			break;
		bits = chunk_take((__u64)m, BPF_CORE_READ(m, host, i_ino), c, first, last, &v);
		add(e, FIELD(write_add), popcount(bits));
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";

/* --by process: a row is made at its process's first event, often before
 * it calls exec (the kernel reads the new program through the page
 * cache), so its name is taken again at exec. */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct cache_key k = {};
	struct cache_entity *e;

	if (by != BY_PROCESS)
		return 0;
	k.a = current_ids().tgid;
	e = bpf_map_lookup_elem(&entities, &k);
	if (e)
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	return 0;
}
