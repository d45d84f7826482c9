#!/usr/bin/env bash
# Generates the C views of bpf/syscalls_x86_64.tsv, the one syscall table:
#   syscall_capture.h  for BPF: which argument of a syscall to capture, and how
#   syscall_table.c    for user space: names and argument decoding specs by number
set -euo pipefail
tsv=$1 out=$2
mkdir -p "$out"

awk -F'\t' '
BEGIN {
  print "/* Generated from bpf/syscalls_x86_64.tsv by gen-syscall-table.sh. Do not edit. */"
  print "#ifndef SCOPE_SYSCALL_CAPTURE_H"
  print "#define SCOPE_SYSCALL_CAPTURE_H"
  print "static __always_inline __u32 scope_sc_capture(__u32 nr, __u32 *arg, __u32 *lenarg)"
  print "{"
  print "\tswitch (nr) {"
}
/^#/ || $3 == "-" { next }
{
  split($3, kv, "@"); kind = kv[1]; split(kv[2], al, "/")
  k = kind == "path" ? "SCOPE_CAPTURE_PATH" : kind == "sockaddr" ? "SCOPE_CAPTURE_SOCKADDR" : kind == "sockaddr_out" ? "SCOPE_CAPTURE_SOCKADDR_OUT" : ""
  if (k == "") { print "unknown capture " $3 > "/dev/stderr"; exit 1 }
  printf "\tcase %d: /* %s */\n\t\t*arg = %d;\n\t\t*lenarg = %d;\n\t\treturn %s;\n", $1, $2, al[1], (al[2] == "" ? 0 : al[2]), k
}
END {
  print "\t}"
  print "\treturn SCOPE_CAPTURE_NONE;"
  print "}"
  print "#endif"
}' "$tsv" > "$out/syscall_capture.h.tmp"
mv "$out/syscall_capture.h.tmp" "$out/syscall_capture.h"

awk -F'\t' '
BEGIN {
  print "/* Generated from bpf/syscalls_x86_64.tsv by gen-syscall-table.sh. Do not edit. */"
  print "#include \"syscall_table.h\""
  print "const struct scope_syscall_def scope_syscall_defs[] = {"
}
/^#/ { next }
{ printf "\t{ %d, \"%s\", \"%s\", \"%s\" },\n", $1, $2, $3, $4; n++ }
END {
  print "};"
  printf "const unsigned scope_syscall_defs_len = %d;\n", n
}' "$tsv" > "$out/syscall_table.c.tmp"
mv "$out/syscall_table.c.tmp" "$out/syscall_table.c"
