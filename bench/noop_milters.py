"""Two milters that accept everything and add one header, one per library, for the library comparison
in ``bench/mta.py --libraries``: the cost of the milter plumbing alone, without any checks.

    python bench/noop_milters.py pymilter PORT
    python bench/noop_milters.py purepythonmilter PORT
"""

import sys


def run_pymilter(port: int | str) -> None:
    import Milter

    class Noop(Milter.Base):
        @Milter.noreply
        def header(self, name, value):
            return Milter.CONTINUE

        def eom(self):
            self.addheader("X-Noop", "pymilter", 0)
            return Milter.ACCEPT

    Milter.factory = Noop
    Milter.set_flags(Milter.ADDHDRS)
    Milter.runmilter("noop", port if str(port).startswith("unix:") else f"inet:{port}@127.0.0.1", timeout=60)


def run_purepythonmilter(port: int) -> None:
    # no "from __future__ import annotations" here: purepythonmilter reads the hooks' return types
    from purepythonmilter import Accept, EndOfMessage, Header, InsertHeader, PurePythonMilter

    async def on_header(cmd: Header) -> None:
        return None

    async def on_eom(cmd: EndOfMessage) -> Accept:
        return Accept(manipulations=[InsertHeader(headername="X-Noop", headertext="purepythonmilter", index=0)])

    app = PurePythonMilter(name="noop", hook_on_header=on_header, hook_on_end_of_message=on_eom,
                           can_add_headers=True)
    app.run_server(host="127.0.0.1", port=port)


if __name__ == "__main__":
    where = sys.argv[2] if sys.argv[2].startswith("unix:") else int(sys.argv[2])
    {"pymilter": run_pymilter, "purepythonmilter": run_purepythonmilter}[sys.argv[1]](where)
