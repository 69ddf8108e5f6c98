using PatientStream.Mqtt;
using PatientStream.Mqtt.Bench;
using PatientStream.Testing;

namespace PatientStream.Bench.Mqtt;

/// <summary>Our MQTT client next to mosquitto_pub/mosquitto_sub against one fixture Mosquitto (plain and mTLS).</summary>
internal sealed class MqttClientBenchmark : IBenchmark
{
    public string Name => "mqtt-client";

    public async Task<IReadOnlyList<BenchResult>> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var broker = new MosquittoFixture(new MosquittoOptions { Tls = true, ExtraConfig = "max_queued_messages 1000000" });
        await broker.InitializeAsync().ConfigureAwait(false);
        try
        {
            var certificates = new Dictionary<int, System.Security.Cryptography.X509Certificates.X509Certificate2>();
            var options = new MqttBenchOptions
            {
                Port = broker.Port,
                TlsPort = broker.TlsPort,
                ThroughputMessages = settings.Scale(200_000, 20_000),
                Qos1Messages = settings.Scale(100_000, 10_000),
                LatencySamples = settings.Scale(2_000, 200),
                MemoryConnections = settings.Scale(1_000, 100),
                TlsForConnection = i =>
                {
                    lock (certificates)
                    {
                        if (!certificates.TryGetValue(i, out var certificate))
                        {
                            certificate = broker.IssueClientCertificate($"bench-{i}");
                            certificates[i] = certificate;
                        }
                        return new MqttTlsOptions { ClientCertificate = certificate, TrustedCa = broker.Pki.Ca, TargetHost = "localhost" };
                    }
                },
            };
            var rows = await new MqttBench(options).RunAsync(cancellationToken).ConfigureAwait(false);
            foreach (var certificate in certificates.Values)
            {
                certificate.Dispose();
            }
            return rows.Select(ToResult).ToList();
        }
        finally
        {
            await broker.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static BenchResult ToResult(MqttBenchRow row)
    {
        var (target, met) = row.Scenario switch
        {
            var s when s.StartsWith("publish QoS 0, 1 connection", StringComparison.Ordinal) => ("≥ 0.9 × mosquitto_pub", row.Ratio >= 0.9),
            var s when s.StartsWith("publish QoS 1", StringComparison.Ordinal) && row.Unit == "msgs/s" => ("≥ 50,000 msgs/s", row.Ours >= 50_000),
            var s when s.StartsWith("managed memory", StringComparison.Ordinal) => ("< 100 MB", row.Ours < 100),
            _ => ((string?)null, (bool?)null),
        };
        return new BenchResult($"mqtt {row.Scenario}", row.Ours, row.Unit, row.Baseline is null ? null : "mosquitto_pub / mosquitto_sub", row.Baseline, target, met);
    }
}
