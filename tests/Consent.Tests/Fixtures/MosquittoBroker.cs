using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace PatientStream.Consent.Tests.Fixtures;

/// <summary>A real Mosquitto on a free loopback port that requires client certificates and reads a CRL.</summary>
public sealed class MosquittoBroker : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log;

    private MosquittoBroker(Process process, StringBuilder log, int port)
    {
        _process = process;
        _log = log;
        Port = port;
    }

    public int Port { get; }

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static async Task<MosquittoBroker> StartMutualTlsAsync(TempDirectory folder, string caFile, string certFile, string keyFile, string crlFile)
    {
        var mosquitto = ExternalProcess.Require("mosquitto", "mosquitto");
        var port = ExternalProcess.FreePort();
        var config = folder.File("mosquitto.conf");
        await File.WriteAllTextAsync(config, string.Create(CultureInfo.InvariantCulture, $"""
            per_listener_settings false
            persistence false
            log_dest stderr
            log_type all
            listener {port} 127.0.0.1
            cafile {caFile}
            certfile {certFile}
            keyfile {keyFile}
            crlfile {crlFile}
            require_certificate true
            use_identity_as_username true
            allow_anonymous false

            """));
        var log = new StringBuilder();

        // "running" is logged once every listener is open, so a client may connect straight away.
        var process = await ExternalProcess.StartServerAsync(mosquitto, ["-c", config], line => line.Contains(" running", StringComparison.Ordinal), log);
        return new MosquittoBroker(process, log, port);
    }

    /// <summary>Publishes one QoS 1 message with a client certificate through mosquitto_pub.</summary>
    public Task<ProcessResult> PublishAsync(string caFile, string certFile, string keyFile, string clientId)
    {
        var pub = ExternalProcess.Require("mosquitto_pub", "mosquitto-clients");
        return ExternalProcess.RunAsync(pub, [
            "-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "--cafile", caFile, "--cert", certFile, "--key", keyFile,
            "-i", clientId, "-q", "1", "-t", $"ps/v1/devices/{clientId}/status", "-m", "online",
        ]);
    }

    public void Dispose() => ExternalProcess.Stop(_process);
}
