import Foundation
import Synchronization

/// A fake AWS Bedrock (control plane and runtime on one loopback port) in Python, which checks every request's
/// SigV4 signature with botocore's `SigV4Auth`: an implementation independent of the exporter's. Each request
/// is signed again at its own `X-Amz-Date` over the headers it names as signed; a different signature is a 403
/// `InvalidSignatureException`, an unknown access key a 403 `UnrecognizedClientException`, as AWS answers them.
final class BedrockFake: Sendable {
    enum Mode: String, Sendable { case healthy, throttled, down, denied }

    let port: Int
    private let process: Process
    /// The fake exits when this closes: also when the test process dies without shutting it down.
    private let lifeline: Pipe

    var baseURL: String { "http://127.0.0.1:\(port)" }

    private init(process: Process, port: Int, lifeline: Pipe) {
        self.process = process
        self.port = port
        self.lifeline = lifeline
    }

    /// Starts the fake for these credentials; installs botocore first when it is missing.
    static func start(
        keyID: String, secret: String, sessionToken: String?, region: String, mode: Mode = .healthy
    ) throws -> BedrockFake {
        try installBotocoreIfMissing()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, keyID, secret, sessionToken ?? "", region, mode.rawValue]
        let output = Pipe()
        let lifeline = Pipe()
        process.standardOutput = output
        process.standardInput = lifeline
        try process.run()
        // The first line is the port it listens on.
        var line: [UInt8] = []
        while let byte = try output.fileHandleForReading.read(upToCount: 1)?.first, byte != UInt8(ascii: "\n") {
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)) else {
            process.terminate()
            throw FakeError(message: "the bedrock fake did not start")
        }
        return BedrockFake(process: process, port: port, lifeline: lifeline)
    }

    func shutdown() {
        try? lifeline.fileHandleForWriting.close()
        process.terminate()
        Self.awaitExit(process)
    }

    /// Polls instead of `waitUntilExit`, which on Linux waits on a run loop that test threads do not run.
    private static func awaitExit(_ process: Process, seconds: Double = 10) {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning, Date() < deadline { usleep(10_000) }
    }

    struct FakeError: Error { let message: String }

    /// The way the repository's Python-backed checks get their tools: import, else pip install.
    /// Once per test process: the suite's tests start fakes in parallel, and two pip runs must not race.
    private static let installation = Mutex<Bool>(false)

    private static func installBotocoreIfMissing() throws {
        try installation.withLock { installed in
            guard !installed else { return }
            try runInstaller()
            installed = true
        }
    }

    private static func runInstaller() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c", "python3 -c 'import botocore' 2>/dev/null || python3 -m pip install -q botocore >&2",
        ]
        try process.run()
        awaitExit(process, seconds: 300)
        guard !process.isRunning, process.terminationStatus == 0 else { throw FakeError(message: "cannot install botocore") }
    }

    private static let script = #"""
import hmac, json, os, re, signal, sys, threading, time, calendar
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

KEY_ID, SECRET, TOKEN, REGION, MODE = sys.argv[1:6]
TOKEN = TOKEN or None
AUTH = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                  r"SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$")
MODELS = ["anthropic.claude-3-haiku-20240307-v1:0", "amazon.nova-micro-v1:0"]

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.answer()

    def do_POST(self):
        self.answer()

    def reply(self, status, body, error_type=None):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        if error_type:
            self.send_header("x-amzn-errortype", error_type + ":http://internal.amazon.com/coral/com.amazon.bedrock/")
        self.end_headers()
        self.wfile.write(data)

    def refused(self, body):
        match = AUTH.match(self.headers.get("Authorization", ""))
        if not match:
            return "IncompleteSignatureException", "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders'."
        key_id, day, region, service, signed, signature = match.groups()
        if key_id != KEY_ID:
            return "UnrecognizedClientException", "The security token included in the request is invalid."
        if region != REGION or service != "bedrock":
            return "InvalidSignatureException", "Credential should be scoped to a valid region and service."
        stamp = self.headers.get("X-Amz-Date", "")
        try:
            when = calendar.timegm(time.strptime(stamp, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            return "IncompleteSignatureException", "X-Amz-Date is missing or malformed."
        if abs(when - time.time()) > 300 or stamp[:8] != day:
            return "InvalidSignatureException", "Signature expired or not yet current."
        if TOKEN and self.headers.get("X-Amz-Security-Token") != TOKEN:
            return "UnrecognizedClientException", "The security token included in the request is invalid."
        names = signed.split(";")
        if "host" not in names or "x-amz-date" not in names or (TOKEN and "x-amz-security-token" not in names):
            return "InvalidSignatureException", "Host, X-Amz-Date and the security token must be signed."
        headers = {name: self.headers.get(name) for name in names}
        if any(value is None for value in headers.values()):
            return "InvalidSignatureException", "A signed header is missing from the request."
        request = AWSRequest(method=self.command, url="http://" + headers["host"] + self.path,
                             headers=headers, data=body)
        request.context["timestamp"] = stamp
        signer = SigV4Auth(Credentials(KEY_ID, SECRET, TOKEN), "bedrock", REGION)
        expected = signer.signature(signer.string_to_sign(request, signer.canonical_request(request)), request)
        if not hmac.compare_digest(expected, signature):
            return "InvalidSignatureException", ("The request signature we calculated does not match the signature "
                "you provided. Check your AWS Secret Access Key and signing method. Consult the service "
                "documentation for details.")
        return None

    def answer(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        refusal = self.refused(body)
        if refusal:
            return self.reply(403, {"message": refusal[1]}, refusal[0])
        if MODE == "denied":
            return self.reply(403, {"message": "User: arn:aws:iam::123456789012:user/probe is not authorized to "
                "perform: bedrock:ListFoundationModels"}, "AccessDeniedException")
        if MODE == "throttled":
            return self.reply(429, {"message": "Too many requests, please wait before trying again."},
                              "ThrottlingException")
        if MODE == "down":
            return self.reply(503, {"message": "Bedrock is unable to process your request."},
                              "ServiceUnavailableException")
        path = self.path.split("?")[0]
        if self.command == "GET" and path == "/foundation-models":
            return self.reply(200, {"modelSummaries": [{"modelId": m, "providerName": "Fake"} for m in MODELS]})
        match = re.fullmatch(r"/model/([^/]+)/converse", path)
        if self.command == "POST" and match:
            from urllib.parse import unquote
            model = unquote(match.group(1))
            request = json.loads(body or b"{}")
            if model.split(".", 1)[-1] not in MODELS and model not in MODELS:
                return self.reply(400, {"message": "The provided model identifier is invalid."}, "ValidationException")
            if request.get("messages", [{}])[0].get("content") is None or "maxTokens" not in request.get("inferenceConfig", {}):
                return self.reply(400, {"message": "Malformed input request."}, "ValidationException")
            return self.reply(200, {"output": {"message": {"role": "assistant", "content": [{"text": "p"}]}},
                                    "stopReason": "max_tokens", "usage": {"inputTokens": 1, "outputTokens": 1}})
        return self.reply(404, {"message": "Not found"}, "UnknownOperationException")

# A test runner may have blocked SIGTERM in the thread that started us; the closed stdin ends us regardless.
signal.pthread_sigmask(signal.SIG_UNBLOCK, [signal.SIGTERM])
threading.Thread(target=lambda: (sys.stdin.read(), os._exit(0)), daemon=True).start()
server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""#
}
