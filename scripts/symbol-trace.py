# The functions a run of a program executes, in the order they first run:
# a gdb script (`gdb -batch -x scripts/symbol-trace.py --args PROGRAM ...`)
# for scripts/symbol-order.sh. Every function of the program's symbol table
# gets a one-time breakpoint; each one hit is written to $TRACE_OUT and
# removed, so the program runs at full speed once its code has been seen.
# The program runs as itself (no emulation, its own CPU features and system
# calls); $TRACE_STDIO, if set, is a shell redirection for it ("< in > out").
import os
import gdb

gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("set detach-on-fork on")
gdb.execute("set follow-fork-mode parent")
gdb.execute("set print thread-events off")
# Breakpoints stay in memory across stops, not removed and put back at each.
gdb.execute("set breakpoint always-inserted on")
for sig in ("SIGPIPE", "SIGTERM", "SIGINT", "SIGCHLD", "SIGHUP"):
    gdb.execute(f"handle {sig} nostop noprint pass")
# `starti ARGS` replaces the arguments: give them again, with the redirection.
shown = gdb.execute("show args", to_string=True)
args = shown[shown.index('"') + 1 : shown.rindex('"')]
gdb.execute(f"starti {args} {os.environ.get('TRACE_STDIO', '')}", to_string=True)

program = gdb.current_progspace().filename
base = None
for line in gdb.execute("info proc mappings", to_string=True).splitlines():
    p = line.split()
    if len(p) >= 5 and p[-1] == program and int(p[3], 16) == 0:
        base = int(p[0], 16)
        break
if base is None:
    raise gdb.GdbError(f"{program} is not mapped")

names = {}
for line in open(os.environ["TRACE_SYMBOLS"]):
    offset, name = line.split()
    names[base + int(offset, 16)] = name
for addr in names:
    gdb.Breakpoint(f"*{addr:#x}", internal=True, temporary=True)

with open(os.environ["TRACE_OUT"], "a") as out:
    while True:
        try:
            gdb.execute("continue", to_string=True)
            pc = int(gdb.parse_and_eval("$pc"))
        except gdb.error:
            break
        if pc in names:
            out.write(names[pc] + "\n")
            out.flush()
