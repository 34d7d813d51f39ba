#!/usr/bin/env python3
"""
Runs a command on a real pseudo-terminal of COLS x ROWS (the operator-interaction
e2e tests: node-pty cannot be built here, Python's pty module is the pty).

    pty-run.py COLS ROWS -- ARGV...

Everything the command writes to the terminal comes out on our stdout, byte for
byte (escape sequences included); what we read on stdin is typed into the
terminal (b"\\x03" is Ctrl-C, as a key). Exits with the command's exit code, or
128 + the signal that killed it.
"""
import fcntl
import os
import pty
import select
import struct
import sys
import termios


def main() -> int:
    cols, rows = int(sys.argv[1]), int(sys.argv[2])
    argv = sys.argv[4:] if sys.argv[3] == "--" else sys.argv[3:]
    pid, master = pty.fork()
    if pid == 0:
        # The child side: size the terminal before the program can ask for it.
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.execvp(argv[0], argv)
    stdin = sys.stdin.buffer.fileno()
    stdout = sys.stdout.buffer.fileno()
    reading_stdin = True
    while True:
        sources = [master] + ([stdin] if reading_stdin else [])
        ready, _, _ = select.select(sources, [], [])
        if stdin in ready:
            data = os.read(stdin, 4096)
            if data:
                os.write(master, data)
            else:
                reading_stdin = False
        if master in ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every process holding the terminal is gone
                data = b""
            if not data:
                break
            os.write(stdout, data)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


if __name__ == "__main__":
    sys.exit(main())
