using Microsoft.Extensions.Options;
using PatientStream.Kafka;

namespace PatientStream.Ingest;

/// <summary>How the ingest stage cleans and routes samples. Validated at start-up.</summary>
public sealed record IngestOptions
{
    /// <summary>Consumer group: add instances with the same group to scale out.</summary>
    public string GroupId { get; init; } = "ps-ingest";

    /// <summary>Topic of gated device batches.</summary>
    public string Topic { get; init; } = KafkaTopics.ReadingsRaw;

    /// <summary>Stage name written into dead letters.</summary>
    public string Stage { get; init; } = "ingest";

    /// <summary>Topic for per-sample rejections (the record-level ones go to the consumer loop's dead-letter topic).</summary>
    public string DeadLetterTopic { get; init; } = KafkaTopics.ReadingsDlq;

    /// <summary>The late-data path: samples later than <see cref="AllowedLateness"/> behind their series.</summary>
    public string LateTopic { get; init; } = KafkaTopics.ReadingsDlq;

    /// <summary>How far behind the newest sample of its series (device, type) a sample may arrive and still be accepted.</summary>
    public TimeSpan AllowedLateness { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How far after the edge's receipt time a sample may be stamped (device clocks drift).</summary>
    public TimeSpan MaxClockAhead { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The oldest sample, relative to receipt, the stage accepts at all (store-and-forward after long outages).</summary>
    public TimeSpan MaxSampleAge { get; init; } = TimeSpan.FromDays(30);

    /// <summary>Most points in one waveform sample.</summary>
    public int MaxWaveformPoints { get; init; } = 100_000;

    /// <summary>Mapping file (YAML or JSON) of sample types, units and FHIR shape; empty uses the shipped default mapping.</summary>
    public string? MappingPath { get; init; }

    /// <summary>SQLite file holding dedupe state and series watermarks; survives restarts.</summary>
    public string StatePath { get; init; } = "ingest-state.db";

    /// <summary>How long batch keys (device, seq) are kept. Sample keys are kept for the allowed lateness behind their series.</summary>
    public TimeSpan DedupeRetention { get; init; } = TimeSpan.FromDays(1);

    /// <summary>
    /// First wait after InfluxDB or the dead-letter topic stayed unavailable through the writer's own retries; doubles
    /// up to <see cref="MaxOutageBackoff"/>. The stage holds its partitions and waits out an outage: an outage is not a
    /// reason to dead-letter data.
    /// </summary>
    public TimeSpan OutageBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxOutageBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// librdkafka's <c>fetch.wait.max.ms</c> for the ingest consumer unless <see cref="KafkaOptions.Extra"/> sets it: how
    /// long a fetch may wait for data. librdkafka's 500 ms puts up to half a second on the Kafka-to-InfluxDB latency of
    /// a quiet partition; 50 ms costs a few idle fetches per second.
    /// </summary>
    public int FetchWaitMaxMs { get; init; } = 50;

    /// <summary>How often expired dedupe keys are removed.</summary>
    public TimeSpan PruneInterval { get; init; } = TimeSpan.FromMinutes(10);
}

/// <summary>Fails start-up with every problem in the ingest settings.</summary>
public sealed class IngestOptionsValidator : IValidateOptions<IngestOptions>
{
    public ValidateOptionsResult Validate(string? name, IngestOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = new List<string>();
        Require(failures, !string.IsNullOrWhiteSpace(options.GroupId), "Ingest GroupId must not be empty.");
        Require(failures, !string.IsNullOrWhiteSpace(options.Topic), "Ingest Topic must not be empty.");
        Require(failures, !string.IsNullOrWhiteSpace(options.Stage), "Ingest Stage must not be empty.");
        Require(failures, !string.IsNullOrWhiteSpace(options.DeadLetterTopic), "Ingest DeadLetterTopic must not be empty.");
        Require(failures, !string.IsNullOrWhiteSpace(options.LateTopic), "Ingest LateTopic must not be empty.");
        Require(failures, !string.IsNullOrWhiteSpace(options.StatePath), "Ingest StatePath must not be empty.");
        Require(failures, options.AllowedLateness >= TimeSpan.Zero, "Ingest AllowedLateness must not be negative.");
        Require(failures, options.MaxClockAhead >= TimeSpan.Zero, "Ingest MaxClockAhead must not be negative.");
        Require(failures, options.MaxSampleAge > TimeSpan.Zero, "Ingest MaxSampleAge must be positive.");
        Require(failures, options.MaxWaveformPoints > 0, "Ingest MaxWaveformPoints must be positive.");
        // Dedupe keys must outlive the window in which a sample can still be accepted, or a retransmission inside
        // that window would pass as new.
        Require(failures, options.DedupeRetention >= options.AllowedLateness,
            "Ingest DedupeRetention must be at least AllowedLateness.");
        Require(failures, options.PruneInterval > TimeSpan.Zero, "Ingest PruneInterval must be positive.");
        Require(failures, options.FetchWaitMaxMs is >= 1 and <= 5_000, "Ingest FetchWaitMaxMs must be between 1 and 5000.");
        Require(failures, options.OutageBackoff > TimeSpan.Zero && options.MaxOutageBackoff >= options.OutageBackoff,
            "Ingest OutageBackoff must be positive and not above MaxOutageBackoff.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Validates and throws <see cref="OptionsValidationException"/> listing every problem.</summary>
    public static IngestOptions EnsureValid(IngestOptions options)
    {
        var result = new IngestOptionsValidator().Validate(null, options);
        return result.Failed ? throw new OptionsValidationException(nameof(IngestOptions), typeof(IngestOptions), result.Failures) : options;
    }

    private static void Require(List<string> failures, bool condition, string message)
    {
        if (!condition)
        {
            failures.Add(message);
        }
    }
}
