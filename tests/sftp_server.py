"""A real SFTP server (asyncssh) for the tests, run as a separate process:

    python -m tests.sftp_server --port P --root DIR --host-key KEY --client-key PUB

It serves DIR to the one client key, with KEY as its host key, until killed.
"""

import argparse
import asyncio

import asyncssh


async def serve(args: argparse.Namespace) -> None:
    authorized = asyncssh.import_authorized_keys(
        open(args.client_key).read()  # noqa: SIM115
    )

    def chrooted(channel):
        return asyncssh.SFTPServer(channel, chroot=args.root)

    await asyncssh.listen(
        "127.0.0.1",
        args.port,
        server_host_keys=[args.host_key],
        authorized_client_keys=authorized,
        sftp_factory=chrooted,
        allow_scp=False,
    )
    print("ready", flush=True)
    await asyncio.Future()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--root", required=True)
    parser.add_argument("--host-key", required=True)
    parser.add_argument("--client-key", required=True)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
