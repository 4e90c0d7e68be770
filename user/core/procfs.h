/* SPDX-License-Identifier: GPL-2.0 */
/* Small, strict readers of /proc and /sys files. Each parser also takes a
 * FILE* or a string so tests (and fuzzers) can feed it arbitrary input. */
#ifndef MEMSCOPE_PROCFS_H
#define MEMSCOPE_PROCFS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct proc_map {
	unsigned long start, end, pgoff;
	char perms[5];
	unsigned int dev_major, dev_minor;
	unsigned long inode;
	/* "" for anonymous mappings. Paths are up to PATH_MAX bytes: a
	 * shorter buffer cuts a long one and loses the file behind it. */
	char path[PATH_MAX];
};

/* Parse one /proc/PID/maps line; 0 or -EINVAL. The path is the file's
 * own bytes: the kernel's "\012" for a newline in it is undone (a name
 * that really holds a backslash, '0', '1', '2' reads as a newline: maps
 * cannot tell them apart; map_files can), a trailing space is kept. */
int proc_map_parse(const char *line, struct proc_map *m);
/* The kernel names an unlinked mapped file "<path> (deleted)" in maps and
 * /proc/PID/exe: whether path ends so, and cut that suffix off. */
bool path_is_deleted(const char *path);
bool path_strip_deleted(char *path);

/* The mapping of process pid (0: self) that contains addr; 0 or -errno. */
int proc_map_find(pid_t pid, unsigned long addr, struct proc_map *m);

/* Mount point of the first mount of type fstype that has mount option opt
 * (NULL: any) in a /proc/self/mounts stream, with the kernel's octal
 * escapes ("\040" for a space, also tab, newline, backslash) undone;
 * 0, -ENOENT, or -ENAMETOOLONG when it does not fit in buf. */
int mounts_find(FILE *f, const char *fstype, const char *opt, char *buf, size_t len);
int proc_mount_find(const char *fstype, const char *opt, char *buf, size_t len);

/* Path of the cgroup of controller ctrl ("" selects the v2 "0::" line) in a
 * /proc/PID/cgroup stream; 0 or -ENOENT. */
int cgroup_find(FILE *f, const char *ctrl, char *buf, size_t len);
int proc_self_cgroup(const char *ctrl, char *buf, size_t len);

/* Whole small file into buf, NUL-terminated, trailing newline removed;
 * returns the length or -errno. */
ssize_t read_file_str(const char *path, char *buf, size_t len);

/* True if word occurs as a whitespace- or comma-separated item of list. */
bool word_in_list(const char *list, const char *word);

/* Fields of /proc/PID/stat (the name, which may hold anything, skipped). */
struct proc_pid_stat {
	char state;			/* field 3: R, S, D, Z, X, T, t, ... */
	unsigned long flags;		/* field 9: PF_* */
	unsigned long long start_time;	/* field 22: clock ticks since boot */
};

/* 0, or -ESRCH when pid has no readable stat (gone). */
int proc_pid_stat_read(pid_t pid, struct proc_pid_stat *st);
/* The parser, for tests: one stat line. 0 or -EINVAL. */
int proc_pid_stat_parse(const char *line, struct proc_pid_stat *st);

/* Our own resident memory in bytes (/proc/self/statm), 0 if unknown. */
size_t proc_self_rss(void);

/* Kernel memory charged to a BPF map or program fd ("memlock:" in
 * /proc/self/fdinfo/FD), in bytes; 0 if unknown. */
uint64_t fd_memlock(int fd);

/* The number after key at the start of a line ("key N", or "key: N" as
 * in /proc/meminfo), for /proc/vmstat, memory.stat and the like; 0,
 * -ENOENT, or -EINVAL. */
int keyed_find(FILE *f, const char *key, uint64_t *v);
int file_keyed_u64(const char *path, const char *key, uint64_t *v);

/* The mount point of device major:minor's root (/proc/self/mountinfo); 0
 * or -ENOENT. */
int mountinfo_find_dev(FILE *f, unsigned major, unsigned minor, char *mnt, size_t len);
int proc_mount_of_dev(unsigned major, unsigned minor, char *mnt, size_t len);

/* A "Key:  N kB" value from /proc/meminfo, 0 if absent. */
uint64_t meminfo_kb(const char *key);

#endif
