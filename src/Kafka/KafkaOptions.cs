using Confluent.Kafka;
using Microsoft.Extensions.Options;

namespace PatientStream.Kafka;

/// <summary>Where Kafka is and how our clients behave. Validated at start-up.</summary>
public sealed record KafkaOptions
{
    /// <summary>Comma-separated host:port list. Empty means "embedded": start librdkafka's mock cluster.</summary>
    public string? BootstrapServers { get; init; }

    /// <summary>Identifies this process in broker logs and metrics.</summary>
    public string ClientId { get; init; } = "patientstream";

    /// <summary>Producer: how long librdkafka waits to fill a batch (ms). Small keeps latency low.</summary>
    public int LingerMs { get; init; } = 5;

    /// <summary>Producer: the most messages librdkafka keeps queued before <c>Produce</c> pushes back.</summary>
    public int MaxQueuedMessages { get; init; } = 100_000;

    /// <summary>Producer: give up on a message after this long (ms); the caller gets the error.</summary>
    public int MessageTimeoutMs { get; init; } = 120_000;

    /// <summary>Consumer: the group's session timeout (ms).</summary>
    public int SessionTimeoutMs { get; init; } = 10_000;

    /// <summary>Consumer: the most records handed to a handler at once.</summary>
    public int MaxBatchSize { get; init; } = 1_000;

    /// <summary>Consumer: how long to wait for more records once a batch has its first (ms).</summary>
    public int MaxBatchWaitMs { get; init; } = 20;

    /// <summary>Extra librdkafka settings (security.protocol, sasl.*, ssl.*), applied to every client.</summary>
    public IReadOnlyDictionary<string, string> Extra { get; init; } = new Dictionary<string, string>();

    public bool IsEmbedded => string.IsNullOrWhiteSpace(BootstrapServers);

    internal void ApplyTo(ClientConfig config)
    {
        config.BootstrapServers = BootstrapServers;
        config.ClientId = ClientId;
        foreach (var (key, value) in Extra)
        {
            config.Set(key, value);
        }
    }
}

/// <summary>Fails start-up with a clear message when Kafka settings cannot work.</summary>
public sealed class KafkaOptionsValidator : IValidateOptions<KafkaOptions>
{
    public ValidateOptionsResult Validate(string? name, KafkaOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        if (!options.IsEmbedded)
        {
            foreach (var server in options.BootstrapServers!.Split(',', StringSplitOptions.TrimEntries))
            {
                var colon = server.LastIndexOf(':');
                if (colon <= 0 || !int.TryParse(server.AsSpan(colon + 1), out var port) || port is < 1 or > 65535)
                {
                    failures.Add($"Kafka bootstrap server '{server}' is not host:port.");
                }
            }
        }
        if (string.IsNullOrWhiteSpace(options.ClientId))
        {
            failures.Add("Kafka ClientId must not be empty.");
        }
        if (options.LingerMs is < 0 or > 10_000)
        {
            failures.Add("Kafka LingerMs must be between 0 and 10000.");
        }
        if (options.MaxQueuedMessages < 1)
        {
            failures.Add("Kafka MaxQueuedMessages must be positive.");
        }
        if (options.MaxBatchSize < 1)
        {
            failures.Add("Kafka MaxBatchSize must be positive.");
        }
        if (options.MaxBatchWaitMs < 0)
        {
            failures.Add("Kafka MaxBatchWaitMs must not be negative.");
        }
        if (options.SessionTimeoutMs < 1_000)
        {
            failures.Add("Kafka SessionTimeoutMs must be at least 1000.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Validates and throws <see cref="OptionsValidationException"/> listing every problem.</summary>
    public static KafkaOptions EnsureValid(KafkaOptions options)
    {
        var result = new KafkaOptionsValidator().Validate(null, options);
        return result.Failed ? throw new OptionsValidationException(nameof(KafkaOptions), typeof(KafkaOptions), result.Failures) : options;
    }
}
