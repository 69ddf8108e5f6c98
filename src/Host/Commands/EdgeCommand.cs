using System.CommandLine;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PatientStream.EdgeAgent;
using PatientStream.EdgeAgent.Registry;
using PatientStream.Kafka;
using PatientStream.Mqtt;

namespace PatientStream.Host.Commands;

/// <summary>Settings of <c>patientstream edge</c>.</summary>
internal sealed record EdgeSettings(string Broker, string? Ca, string? Cert, string? Key, string Kafka, string Consent, string DataDirectory, string ClientId)
{
    /// <summary>Seconds between two <c>STATUS</c> lines with the agent's counters; 0 prints none.</summary>
    public int StatusIntervalSeconds { get; init; }

    public IEnumerable<string> Problems()
    {
        if (!Endpoints.TryParseHostPort(Broker, out _, out _))
        {
            yield return $"--broker must be HOST:PORT, not '{Broker}'.";
        }
        if (!Endpoints.IsHostPortList(Kafka))
        {
            yield return $"--kafka must be HOST:PORT (or a comma-separated list of them), not '{Kafka}'.";
        }
        if (Endpoints.HttpBase(Consent) is null)
        {
            yield return $"--consent must be the consent service's http(s) URL (serve's address), not '{Consent}'.";
        }
        if ((Cert is null) != (Key is null))
        {
            yield return "--cert and --key go together.";
        }
        if (Cert is not null && Ca is null)
        {
            yield return "--cert needs --ca (the broker's CA) as well.";
        }
        foreach (var (name, file) in new[] { ("--ca", Ca), ("--cert", Cert), ("--key", Key) })
        {
            if (file is not null && !File.Exists(file))
            {
                yield return $"{name} {file}: no such file.";
            }
        }
        if (string.IsNullOrWhiteSpace(ClientId))
        {
            yield return "--client-id must not be empty.";
        }
        if (StatusIntervalSeconds < 0)
        {
            yield return "--status-interval must be 0 (off) or a number of seconds.";
        }
    }

    /// <summary>The agent's options: buffer and audit file in the data folder, TLS when a CA is given.</summary>
    public EdgeAgentOptions AgentOptions()
    {
        var (host, port) = Endpoints.HostPort(Broker);
        var mqtt = new MqttClientOptions { Host = host, Port = port, ClientId = ClientId, Tls = Tls(host) };
        return EdgeAgentOptions.InFolder(DataDirectory, mqtt, new KafkaOptions { BootstrapServers = Kafka, ClientId = $"patientstream-{ClientId}" });
    }

    private MqttTlsOptions? Tls(string host)
    {
        if (Ca is null)
        {
            return null;
        }
        using var ca = X509Certificate2.CreateFromPem(File.ReadAllText(Ca));
        return new MqttTlsOptions
        {
            TargetHost = host,
            TrustedCa = X509CertificateLoader.LoadCertificate(ca.RawData),
            ClientCertificate = Cert is null ? null : ClientCertificate(Cert, Key!),
        };
    }

    private static X509Certificate2 ClientCertificate(string cert, string key)
    {
        // A PEM key is ephemeral; exporting to PKCS#12 gives SslStream a certificate whose key it can use on every platform.
        using var pem = X509Certificate2.CreateFromPemFile(cert, key);
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }
}

/// <summary><c>patientstream edge</c>: the edge agent between the site's broker and Kafka, gated by the consent service.</summary>
internal static class EdgeCommand
{
    public static Command Create()
    {
        var broker = new Option<string>("--broker") { Description = "The local MQTT broker, HOST:PORT.", Required = true };
        var ca = new Option<string?>("--ca") { Description = "PEM CA of the broker's certificate: connect over TLS." };
        var cert = new Option<string?>("--cert") { Description = "PEM client certificate of the agent (with --key)." };
        var key = new Option<string?>("--key") { Description = "PEM private key of --cert." };
        var kafka = new Option<string>("--kafka") { Description = "Kafka bootstrap servers, HOST:PORT[,HOST:PORT...].", Required = true };
        var consent = new Option<string>("--consent") { Description = "Base URL of the consent service (serve), e.g. http://127.0.0.1:8080/.", Required = true };
        var dataDir = new Option<string>("--data-dir") { Description = "Folder for the durable buffer and the audit file.", DefaultValueFactory = _ => "edge-data" };
        var clientId = new Option<string>("--client-id")
        {
            Description = "MQTT client id; keep it stable across restarts (the broker holds unacknowledged messages under it).",
            DefaultValueFactory = _ => $"edge-{Environment.MachineName.ToLowerInvariant()}",
        };
        var statusInterval = new Option<int>("--status-interval") { Description = "Print a STATUS line with the agent's counters every this many seconds (0: never).", DefaultValueFactory = _ => 0 };
        var command = new Command("edge", "Run the edge agent: device batches from MQTT through the attestation and consent gate into a durable buffer, then Kafka.")
        {
            broker, ca, cert, key, kafka, consent, dataDir, clientId, statusInterval,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = new EdgeSettings(result.GetValue(broker)!, result.GetValue(ca), result.GetValue(cert), result.GetValue(key),
                result.GetValue(kafka)!, result.GetValue(consent)!, Path.GetFullPath(result.GetValue(dataDir)!), result.GetValue(clientId)!)
            {
                StatusIntervalSeconds = result.GetValue(statusInterval),
            };
            return StoreOptions.Refuse([.. settings.Problems()]) ? 2 : await RunAsync(settings, Console.Out, LogLevel.Warning, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Runs the agent until cancelled; prints <c>READY edge</c> once it is subscribed.</summary>
    public static async Task<int> RunAsync(EdgeSettings settings, TextWriter output, LogLevel minimumLevel, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(minimumLevel));
        try
        {
            Directory.CreateDirectory(settings.DataDirectory);
            var options = EdgeAgentOptionsValidator.EnsureValid(settings.AgentOptions());
            var registry = new EdgeRegistryOptions { ConsentService = Endpoints.HttpBase(settings.Consent)! };
            var agent = new TaskCompletionSource<EdgeAgentService>(TaskCreationOptions.RunContinuationsAsynchronously);
            var run = EdgeSiteRunner.RunAsync(options, registry, loggers, agent.SetResult, cancellationToken);
            if (await Task.WhenAny(agent.Task, run).ConfigureAwait(false) == agent.Task)
            {
                var ready = agent.Task.Result.Ready;
                if (await Task.WhenAny(ready, run).ConfigureAwait(false) == ready && ready.IsCompletedSuccessfully)
                {
                    await output.WriteLineAsync($"READY edge (broker {settings.Broker}, kafka {settings.Kafka}, subscription {options.Subscription})").ConfigureAwait(false);
                    if (settings.StatusIntervalSeconds > 0)
                    {
                        _ = EdgeStatus.PrintAsync(agent.Task.Result.Metrics, TimeSpan.FromSeconds(settings.StatusIntervalSeconds), output, run, cancellationToken);
                    }
                }
            }
            await run.ConfigureAwait(false);
            return 0;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception e) when (e is OptionsValidationException or EdgeAgentException or ArgumentException or IOException or CryptographicException
            or HttpRequestException or MqttConnectionException)
        {
            await Console.Error.WriteLineAsync($"edge: {e.Message}").ConfigureAwait(false);
            return 1;
        }
    }
}

/// <summary>The agent's counters as <c>STATUS key=value ...</c> lines, for a supervisor (demo) to read.</summary>
internal static class EdgeStatus
{
    public static string Line(EdgeMetricsSnapshot m) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"STATUS received={m.Received} buffered={m.Buffered} duplicates={m.Duplicates} forwarded={m.Forwarded} rejected={m.Rejected} consent-denied={m.RejectedByReason.GetValueOrDefault("consent-denied")} quarantined={m.Quarantined} held={m.BufferedNow}");

    public static async Task PrintAsync(EdgeMetrics metrics, TimeSpan interval, TextWriter output, Task run, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (!run.IsCompleted && await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                await output.WriteLineAsync(Line(metrics.Snapshot())).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
