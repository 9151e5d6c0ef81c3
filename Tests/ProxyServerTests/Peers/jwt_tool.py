#!/usr/bin/env python3
"""Test-time JWT peer (stdlib + the openssl command): makes an ES256 key pair and its JWKS, and
signs tokens with it, independently of Portcullis's own verifier.

    jwt_tool.py keygen DIR              -> DIR/key.pem, DIR/jwks.json (kid "k1")
    jwt_tool.py token DIR CLAIMS [ALG]  -> prints header.claims.signature
"""
import base64, json, os, subprocess, sys


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def der_items(data: bytes):
    """The (tag, content) items of a DER SEQUENCE's content."""
    items, i = [], 0
    while i < len(data):
        tag, length = data[i], data[i + 1]
        i += 2
        if length & 0x80:
            count = length & 0x7F
            length = int.from_bytes(data[i:i + count], "big")
            i += count
        items.append((tag, data[i:i + length]))
        i += length
    return items


def keygen(directory: str) -> None:
    key = os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key], check=True, capture_output=True)
    spki = subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-outform", "DER"], check=True, capture_output=True).stdout
    point = spki[-65:]
    assert point[0] == 4
    jwk = {"kty": "EC", "crv": "P-256", "x": b64url(point[1:33]), "y": b64url(point[33:]), "kid": "k1", "use": "sig"}
    with open(os.path.join(directory, "jwks.json"), "w") as f:
        json.dump({"keys": [jwk]}, f)


def token(directory: str, claims: str, alg: str = "ES256") -> str:
    header = b64url(json.dumps({"alg": alg, "typ": "JWT", "kid": "k1"}).encode())
    body = b64url(claims.encode())
    signing_input = f"{header}.{body}"
    if alg == "none":
        return signing_input + "."
    der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", os.path.join(directory, "key.pem")], input=signing_input.encode(), check=True, capture_output=True).stdout
    (_, sequence), = der_items(der)
    r, s = [content.lstrip(b"\x00").rjust(32, b"\x00") for _, content in der_items(sequence)]
    return signing_input + "." + b64url(r + s)


if __name__ == "__main__":
    if sys.argv[1] == "keygen":
        keygen(sys.argv[2])
    else:
        print(token(sys.argv[2], sys.argv[3], *(sys.argv[4:5])))
