// SPDX-License-Identifier: GPL-2.0
/* The value and command-line parsers: data[0] chooses one, the rest is the
 * argument. -c's command splitting, the strict number and size parsers,
 * the flag tables and constant expressions of tracefs format files, and
 * --cgroup's path (resolved against this machine's memory hierarchy), and
 * the program a -c command names as a file (its "#!" line). */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "caps/flagnames.h"
#include "core/log.h"
#include "core/parse.h"
#include "run/memcg.h"
#include "run/target.h"
#include "run/spawn.h"

enum { A_U64, A_SIZE, A_PID, A_CMDLINE, A_EXPR, A_FLAGS, A_CGROUP, A_SCRIPT, A_NR };

static volatile size_t sink;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	/* Rejections are the normal case here: say nothing of them. */
	log_set_level(-1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fns[] = { "__print_flags", "__print_symbolic" };
	static const char *const fields[] = { "gfp_flags", "reason", "mode", "flags" };
	unsigned sel, par;
	uint64_t v = 0;
	char **argv;
	pid_t pid;
	char *s;
	int n, err;

	if (size < 2)
		return 0;
	sel = data[0] % A_NR;
	par = data[1];
	data += 2;
	size -= 2;
	s = fuzz_str(data, size);

	switch (sel) {
	case A_U64:
		err = parse_u64(s, par, par & 1 ? UINT64_MAX : 1000, &v);
		if (!err && (v < par || (!(par & 1) && v > 1000)))
			abort();
		break;
	case A_SIZE:
		if (!parse_size(s, &v))
			sink += v;
		break;
	case A_PID:
		if (!parse_pid(s, &pid) && (pid < 1 || pid > 4 * 1024 * 1024))
			abort();
		break;
	case A_CMDLINE:
		n = cmdline_split(s, &argv);
		if (n > 0) {
			size_t total = 0;

			for (int i = 0; i < n; i++) {
				if (!argv[i])
					abort();
				total += strlen(argv[i]) + 1;
			}
			/* Words never outgrow the input. */
			if (argv[n] || total > strlen(s) + 1)
				abort();
			cmdline_free(argv);
		} else if (n != -EINVAL && n != -ENOMEM) {
			abort();
		}
		break;
	case A_EXPR:
		if (!flag_expr_eval(s, strnlen(s, par), &v))
			sink += v;
		if (!flag_expr_eval(s, strlen(s), &v))
			sink += v;
		break;
	case A_FLAGS: {
		struct flag_names t = { 0 };
		char out[par % 64 + 1];

		if (!flag_names_parse(s, fns[par & 1], fields[(par >> 1) % 4], &t)) {
			for (size_t i = 0; i < t.n; i++)
				sink += strlen(t.v[i].name) + t.v[i].mask;
			for (uint64_t x = 0; x < 64; x += 7) {
				const char *name = flag_names_symbol(&t, x);

				flag_names_format(&t, (uint64_t)1 << x | x, out, sizeof(out));
				if (strnlen(out, sizeof(out)) == sizeof(out))
					abort();
				sink += name ? strlen(name) : 0;
			}
		}
		flag_names_free(&t);
		break;
	}
	case A_SCRIPT: {
		static struct target t;
		char cmd[256];

		/* The input is the program's file; -c runs it with an argument. */
		const char *path = fuzz_file(data, size);

		if (chmod(path, 0700))
			abort();
		snprintf(cmd, sizeof(cmd), "%s arg", path);
		target_init(&t);
		if (!target_parse_command(&t, cmd)) {
			if (strnlen(t.program, sizeof(t.program)) == sizeof(t.program) ||
			    strnlen(t.exe, sizeof(t.exe)) == sizeof(t.exe))
				abort();
			sink += strlen(t.program) + strlen(t.name);
		}
		target_close(&t);
		break;
	}
	case A_CGROUP: {
		char dir[par % 2 ? 4096 : 32];
		uint64_t id;

		if (!memcg_resolve(s, &id, dir, sizeof(dir))) {
			if (strnlen(dir, sizeof(dir)) == sizeof(dir))
				abort();
			sink += id;
		}
		break;
	}
	}
	free(s);
	return 0;
}
