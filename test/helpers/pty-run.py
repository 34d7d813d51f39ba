#!/usr/bin/env python3
"""
Runs a command on a real pseudo-terminal of COLS x ROWS (the operator-interaction
e2e tests: node-pty cannot be built here, Python's pty module is the pty).

    pty-run.py COLS ROWS [--control] [--stderr FILE] -- ARGV...

Everything the command writes to the terminal comes out on our stdout, byte for
byte (escape sequences included); what we read on stdin is typed into the
terminal (b"\\x03" is Ctrl-C, as a key). Exits with the command's exit code, or
128 + the signal that killed it.

With --stderr FILE the command's stderr is FILE instead of the terminal (`2>FILE`).

With --control, fd 3 is a control channel (a line per message) and the command
runs under a job-control parent, as under a shell: it is the foreground process
group of the terminal, in a group that is not orphaned, so Ctrl-Z really stops
it (a session leader's group is orphaned: the kernel discards its stop signals).
Commands in: `resize COLS ROWS` (answered `resized`), `fg` (answered `continued`
once SIGCONT is sent), `say HEX` while it is stopped (the parent writes those bytes
to the terminal, as a shell writes its report and prompt there; answered `said`).
Reports out: `stopped` once the command is stopped and the parent has taken the
terminal back and restored its own modes, as a shell does.
"""
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios

CONTROL = 3


def set_size(fd: int, cols: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))


def exit_status(status: int) -> int:
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def job_control(argv: list, commands: int, reports: int) -> None:
    """The child side under --control: a minimal job-control shell running one job in the foreground."""
    for sig in (signal.SIGTTOU, signal.SIGTTIN, signal.SIGTSTP):
        signal.signal(sig, signal.SIG_IGN)
    shell_modes = termios.tcgetattr(0)
    job = os.fork()
    if job == 0:
        os.setpgid(0, 0)
        os.tcsetpgrp(0, os.getpgrp())  # SIGTTOU is still ignored here
        for sig in (signal.SIGTTOU, signal.SIGTTIN, signal.SIGTSTP):
            signal.signal(sig, signal.SIG_DFL)
        for fd in (CONTROL, commands, reports):
            os.close(fd)
        os.execvp(argv[0], argv)
    try:
        os.setpgid(job, job)  # also here, as shells do: whichever runs first puts the job in its group
    except PermissionError:
        pass  # the job has exec'd already: it did it itself
    wanted = os.fdopen(commands, "r")
    while True:
        _, status = os.waitpid(job, os.WUNTRACED)
        if not os.WIFSTOPPED(status):
            os._exit(exit_status(status))
        os.tcsetpgrp(0, os.getpgrp())
        termios.tcsetattr(0, termios.TCSADRAIN, shell_modes)
        os.write(reports, b"stopped\n")
        words = wanted.readline().split()
        while words[:1] == ["say"]:
            os.write(1, bytes.fromhex(words[1]) if len(words) > 1 else b"")
            os.write(reports, b"said\n")
            words = wanted.readline().split()
        if words != ["fg"]:
            os.killpg(job, signal.SIGKILL)
            continue
        os.tcsetpgrp(0, job)
        os.killpg(job, signal.SIGCONT)
        os.write(reports, b"continued\n")


def main() -> int:
    cols, rows = int(sys.argv[1]), int(sys.argv[2])
    rest = sys.argv[3:]
    control = rest[0] == "--control"
    if control:
        rest = rest[1:]
    stderr_file = None
    if rest[0] == "--stderr":
        stderr_file, rest = rest[1], rest[2:]
    argv = rest[1:] if rest[0] == "--" else rest
    if control:
        commands_r, commands_w = os.pipe()
        reports_r, reports_w = os.pipe()
    pid, master = pty.fork()
    if pid == 0:
        # The child side: size the terminal before the program can ask for it.
        set_size(0, cols, rows)
        if stderr_file is not None:
            os.dup2(os.open(stderr_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), 2)
        if control:
            os.close(commands_w)
            os.close(reports_r)
            job_control(argv, commands_r, reports_w)
        os.execvp(argv[0], argv)
    stdin = sys.stdin.buffer.fileno()
    stdout = sys.stdout.buffer.fileno()
    reading_stdin = True
    if control:
        os.close(commands_r)
        os.close(reports_w)
        requests = b""
    while True:
        sources = [master] + ([stdin] if reading_stdin else []) + ([CONTROL, reports_r] if control else [])
        ready, _, _ = select.select(sources, [], [])
        if stdin in ready:
            data = os.read(stdin, 4096)
            if data:
                os.write(master, data)
            else:
                reading_stdin = False
        if control and reports_r in ready:
            os.write(CONTROL, os.read(reports_r, 4096))
        if control and CONTROL in ready:
            data = os.read(CONTROL, 4096)
            if not data:
                control = False
            requests += data
            while b"\n" in requests:
                line, requests = requests.split(b"\n", 1)
                words = line.decode().split()
                if words[:1] == ["resize"]:
                    # The kernel sends SIGWINCH to the terminal's foreground process group.
                    set_size(master, int(words[1]), int(words[2]))
                    os.write(CONTROL, b"resized\n")
                elif words == ["fg"] or words[:1] == ["say"]:
                    os.write(commands_w, line + b"\n")
        if master in ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: every process holding the terminal is gone
                data = b""
            if not data:
                break
            os.write(stdout, data)
    _, status = os.waitpid(pid, 0)
    return exit_status(status)


if __name__ == "__main__":
    sys.exit(main())
