"""Frames Debian's python3.11 fires its USDT function probes for, in known numbers. From 3.11, a
Python-to-Python call runs inside its caller's evaluation loop and fires nothing; a generator or
coroutine closed before it ever ran is entered (to raise GeneratorExit in it) and fires once.
Prints "gen 5 <lambda> 3 co 2": the calls the probes must report, by function."""


def gen():
    yield 1

async def co():
    return 2

def main():
    for _ in range(5):
        gen().close()
    for _ in range(3):
        (lambda: (yield))().close()
    for _ in range(2):
        co().close()
    print("gen 5 <lambda> 3 co 2")

main()
