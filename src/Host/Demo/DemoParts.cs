using System.Globalization;

namespace PatientStream.Host.Demo;

/// <summary>Addresses the demo's parts find each other by.</summary>
/// <param name="Influx">InfluxDB base URL; null when raw series are off.</param>
internal sealed record DemoEndpoints(string Kafka, int ServerPort, Uri? Influx, BrokerFiles Broker)
{
    public Uri Server => new($"http://127.0.0.1:{ServerPort}/");

    public string BrokerAddress => $"127.0.0.1:{Broker.Port}";
}

/// <summary>The command line of each part: this same executable's commands, Mosquitto and influxd.</summary>
internal static class DemoParts
{
    public const string StatusInterval = "2";

    /// <summary>The deteriorating patient starts to worsen this long after the simulator starts.</summary>
    public const string DeteriorationOnsetSeconds = "10";

    public static ChildSpec Mosquitto(string binary, BrokerFiles broker) =>
        new("mosquitto", binary, ["-c", broker.Config], ReadyPrefix: null, ct => DemoLayout.IsListeningAsync(broker.Port, ct));

    public static ChildSpec Influx(string binary, string config, Uri url, HttpClient probe) =>
        new("influxd", binary, ["-config", config], ReadyPrefix: null, ct => DemoInflux.PingAsync(probe, url, ct));

    public static ChildSpec Serve(DemoSettings settings, DemoLayout layout, DemoEndpoints endpoints) =>
        new("serve", settings.Launcher.FileName,
            settings.Launcher.Arguments([
                "serve", "--port", endpoints.ServerPort.ToString(CultureInfo.InvariantCulture), "--data-dir", layout.Server, .. Store(settings)]),
            ReadyPrefix: "READY fhir=");

    public static ChildSpec Ingest(DemoSettings settings, DemoLayout layout, DemoEndpoints endpoints)
    {
        return new("ingest", settings.Launcher.FileName,
            settings.Launcher.Arguments(["ingest", "--kafka", endpoints.Kafka, .. (endpoints.Influx is null ? Array.Empty<string>() : ["--influx", endpoints.Influx.AbsoluteUri]),
                "--data-dir", layout.Server, .. Store(settings)]),
            ReadyPrefix: "READY ingest");
    }

    public static ChildSpec Analytics(DemoSettings settings, DemoLayout layout, DemoEndpoints endpoints) =>
        new("analytics", settings.Launcher.FileName,
            settings.Launcher.Arguments(["analytics", "--kafka", endpoints.Kafka, "--data-dir", layout.Server, .. Store(settings)]),
            ReadyPrefix: "READY analytics");

    public static ChildSpec Edge(DemoSettings settings, DemoLayout layout, DemoEndpoints endpoints) =>
        new("edge", settings.Launcher.FileName,
            settings.Launcher.Arguments([
                "edge", "--broker", endpoints.BrokerAddress, "--ca", endpoints.Broker.SiteCaPem,
                "--cert", endpoints.Broker.EdgeCertPem, "--key", endpoints.Broker.EdgeKeyPem,
                "--kafka", endpoints.Kafka, "--consent", endpoints.Server.AbsoluteUri, "--data-dir", layout.Edge,
                "--client-id", endpoints.Broker.EdgeClientId, "--status-interval", StatusInterval]),
            ReadyPrefix: "READY edge");

    public static ChildSpec Simulate(DemoSettings settings, DemoLayout layout, DemoEndpoints endpoints, DemoCohort cohort)
    {
        var arguments = new List<string>
        {
            "simulate", "--patients", cohort.Patients.Count.ToString(CultureInfo.InvariantCulture),
            "--broker", endpoints.BrokerAddress, "--ca", endpoints.Broker.SiteCaPem, "--tls-name", DemoBroker.TlsName,
            "--attest", endpoints.Server.AbsoluteUri, "--manufacturer", layout.Manufacturer,
            "--device-prefix", DemoCohort.DevicePrefix,
            "--deteriorating", cohort.Deteriorating.DeviceId,
            "--deterioration-seconds", settings.DeteriorationSeconds.ToString(CultureInfo.InvariantCulture),
            "--deterioration-onset", DeteriorationOnsetSeconds,
            "--interval-ms", settings.IntervalMs.ToString(CultureInfo.InvariantCulture),
            "--status-interval", StatusInterval,
        };
        if (settings.Batches > 0)
        {
            arguments.AddRange(["--batches", settings.Batches.ToString(CultureInfo.InvariantCulture)]);
        }
        return new("simulate", settings.Launcher.FileName, settings.Launcher.Arguments([.. arguments]), ReadyPrefix: StatusLine.Prefix,
            Finite: settings.Batches > 0);
    }

    private static string[] Store(DemoSettings settings) =>
        settings.Postgres is null ? [] : ["--store", "postgres", "--postgres", settings.Postgres];

    /// <summary>Path of a system binary on PATH (or Debian's sbin), or null.</summary>
    public static string? FindBinary(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin")
            .Append("/usr/bin")
            .Select(folder => Path.Combine(folder, name))
            .FirstOrDefault(File.Exists);
}
