"""The few lines that start an engine in its own session and report its pid.

Run with `python -I -S -c LAUNCHER main.py engine run SPEC`: it forks the engine, writes
its pid to stderr and waits for it, exiting the way the engine did.
"""

# Own session and process group (a stop signals the group; the terminal's signals never
# reach it); SIGTERM is for the engine, the launcher only mirrors how the engine ended.
LAUNCHER = """
import os, signal, sys
os.setsid()
signal.signal(signal.SIGTERM, signal.SIG_IGN)
pid = os.fork()
if pid == 0:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
os.write(2, b"%d\\n" % pid)
while True:
    try:
        status = os.waitpid(pid, 0)[1]
        break
    except ChildProcessError:
        os._exit(70)
    except InterruptedError:
        pass
if os.WIFSIGNALED(status):
    number = os.WTERMSIG(status)
    if number != signal.SIGKILL:
        signal.signal(number, signal.SIG_DFL)
    os.kill(os.getpid(), number)
os._exit(os.waitstatus_to_exitcode(status))
"""
