namespace PatientStream.Mqtt.Bench;

/// <summary>What to run against which broker. Defaults take well under a minute on a small machine.</summary>
public sealed record MqttBenchOptions
{
    public string Host { get; init; } = "127.0.0.1";
    public int Port { get; init; } = 1883;
    public int PayloadBytes { get; init; } = 100;
    public int ThroughputMessages { get; init; } = 200_000;
    public int Qos1Messages { get; init; } = 100_000;
    public int Connections { get; init; } = 100;
    public int LatencySamples { get; init; } = 2_000;
    public int MemoryConnections { get; init; } = 1_000;
    public int MaxInflight { get; init; } = 100;

    /// <summary>
    /// When set, the memory scenario is repeated over TLS on <see cref="TlsPort"/>, each connection with the client
    /// certificate this returns for its index (as the device simulator does).
    /// </summary>
    public Func<int, MqttTlsOptions>? TlsForConnection { get; init; }
    public int TlsPort { get; init; }

    /// <summary>Directory holding mosquitto_pub and mosquitto_sub.</summary>
    public string MosquittoClients { get; init; } = "/usr/bin";

    public void Validate()
    {
        if (PayloadBytes < 16 || ThroughputMessages < 1000 || Qos1Messages < 1000 || Connections < 1 || LatencySamples < 100 || MemoryConnections < 1)
        {
            throw new ArgumentException("MqttBenchOptions: payload ≥ 16 bytes, ≥ 1000 messages, ≥ 100 latency samples, ≥ 1 connection.");
        }
    }
}

/// <summary>One measured figure. <see cref="Baseline"/> is the mosquitto client's figure for the same scenario, if any.</summary>
public sealed record MqttBenchRow(string Scenario, string Unit, double Ours, double? Baseline)
{
    /// <summary>Ours ÷ baseline (for latency a value below 1 means we are faster).</summary>
    public double? Ratio => Baseline is > 0 ? Ours / Baseline : null;

    public string? Note { get; init; }
}
