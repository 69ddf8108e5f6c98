using Microsoft.Extensions.Options;
using PatientStream.EdgeAgent.Buffer;
using PatientStream.EdgeAgent.Gate;
using PatientStream.Kafka;
using PatientStream.Mqtt;

namespace PatientStream.EdgeAgent;

/// <summary>Everything one edge agent needs. <see cref="EdgeAgentOptionsValidator"/> checks it at start-up.</summary>
public sealed record EdgeAgentOptions
{
    /// <summary>
    /// The local broker. The agent forces manual acknowledgement and a persistent session, so <see cref="MqttClientOptions.ClientId"/>
    /// must be set and stable across restarts: the broker keeps unacknowledged messages for it while it is down.
    /// </summary>
    public required MqttClientOptions Mqtt { get; init; }

    /// <summary>Shared-subscription group: agents in one group split the devices' messages.</summary>
    public string SharedGroup { get; init; } = "edge";

    public string TopicFilter { get; init; } = "ps/v1/devices/+/readings";

    public required KafkaOptions Kafka { get; init; }

    public required BufferOptions Buffer { get; init; }

    public ForwarderOptions Forwarder { get; init; } = new();

    public GateOptions Gate { get; init; } = new();

    /// <summary>The JSON-lines audit file of gate decisions.</summary>
    public required string AuditPath { get; init; }

    /// <summary>
    /// Messages received but not yet acknowledged (their appends in progress); past it, reading pauses. It is the
    /// window that group commit fills while an fsync is under way, so it bounds throughput to about this many
    /// batches per commit; the agent raises the MQTT receive maximum to match.
    /// </summary>
    public int MaxPendingAcks { get; init; } = 4_000;

    /// <summary>The subscription actually made: <c>$share/{group}/{filter}</c>, or the bare filter without a group.</summary>
    public string Subscription => string.IsNullOrEmpty(SharedGroup) ? TopicFilter : $"$share/{SharedGroup}/{TopicFilter}";

    /// <summary>Options with the buffer and the audit file in one data folder.</summary>
    public static EdgeAgentOptions InFolder(string folder, MqttClientOptions mqtt, KafkaOptions kafka) => new()
    {
        Mqtt = mqtt,
        Kafka = kafka,
        Buffer = new BufferOptions { Path = Path.Combine(folder, "buffer.db") },
        AuditPath = Path.Combine(folder, "audit.jsonl"),
    };
}

/// <summary>Fails start-up with every problem of the edge agent's settings.</summary>
public sealed class EdgeAgentOptionsValidator : IValidateOptions<EdgeAgentOptions>
{
    public ValidateOptionsResult Validate(string? name, EdgeAgentOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        void Check(Action validate)
        {
            try
            {
                validate();
            }
            catch (ArgumentException e)
            {
                failures.Add(e.Message);
            }
        }
        Check(() => options.Mqtt.Validate());
        if (string.IsNullOrWhiteSpace(options.Mqtt.ClientId))
        {
            failures.Add("Edge agent Mqtt.ClientId must be set: the broker keeps the agent's unacknowledged messages under it.");
        }
        if (string.IsNullOrWhiteSpace(options.TopicFilter) || options.SharedGroup.Contains('/', StringComparison.Ordinal))
        {
            failures.Add("Edge agent TopicFilter must be set and SharedGroup must not contain '/'.");
        }
        if (options.Kafka.IsEmbedded)
        {
            failures.Add("Edge agent Kafka.BootstrapServers must be set.");
        }
        failures.AddRange(new KafkaOptionsValidator().Validate(null, options.Kafka).Failures ?? []);
        failures.AddRange(new BufferOptionsValidator().Validate(null, options.Buffer).Failures ?? []);
        Check(options.Forwarder.Validate);
        Check(options.Gate.Validate);
        if (string.IsNullOrWhiteSpace(options.AuditPath))
        {
            failures.Add("Edge agent AuditPath must be set.");
        }
        if (options.MaxPendingAcks < 1)
        {
            failures.Add("Edge agent MaxPendingAcks must be positive.");
        }
        if (options.Forwarder.Window * options.Forwarder.WindowsInFlight > options.Kafka.MaxQueuedMessages)
        {
            failures.Add("Edge agent Forwarder.Window × WindowsInFlight must not exceed Kafka.MaxQueuedMessages.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public static EdgeAgentOptions EnsureValid(EdgeAgentOptions options)
    {
        var result = new EdgeAgentOptionsValidator().Validate(null, options);
        return result.Failed ? throw new OptionsValidationException(nameof(EdgeAgentOptions), typeof(EdgeAgentOptions), result.Failures) : options;
    }
}
