using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PatientStream.Analytics.Actors;
using PatientStream.Analytics.Contracts;
using PatientStream.Analytics.Kafka;
using PatientStream.Analytics.Output;
using PatientStream.Analytics.Patients;
using PatientStream.Fhir.Service;
using PatientStream.Kafka;

namespace PatientStream.Host.Commands;

/// <summary>Settings of <c>patientstream analytics</c>; topics and group are fixed by DESIGN.md unless a test isolates itself.</summary>
internal sealed record AnalyticsSettings(string Kafka, string DataDirectory, string Store, string? PostgresConnectionString)
{
    public const string DefaultGroupId = "patientstream-analytics";

    public string GroupId { get; init; } = DefaultGroupId;
    public string ReadingsTopic { get; init; } = KafkaTopics.ReadingsRaw;
    public string AlertsTopic { get; init; } = KafkaTopics.Alerts;
    public string DeadLetterTopic { get; init; } = KafkaTopics.ReadingsDlq;

    /// <summary>EHR records whose Conditions become the patients' clinical context (group <see cref="GroupId"/>-clinical).</summary>
    public string ClinicalTopic { get; init; } = KafkaTopics.ClinicalRecords;

    /// <summary>How often live patients are told the time, so a silent device is noticed without new data.</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromMinutes(1);

    public IEnumerable<string> Problems()
    {
        if (!Endpoints.IsHostPortList(Kafka))
        {
            yield return $"--kafka must be HOST:PORT (or a comma-separated list of them), not '{Kafka}'.";
        }
        if (string.IsNullOrWhiteSpace(DataDirectory))
        {
            yield return "--data-dir must name a folder.";
        }
        foreach (var problem in StoreOptions.Problems(Store, PostgresConnectionString))
        {
            yield return problem;
        }
    }
}

/// <summary>
/// One analytics instance as a generic host: the FHIR store (the one <c>serve --data-dir</c> opens) is initialised
/// first, then <see cref="AnalyticsService"/> consumes raw readings into the per-patient actors.
/// </summary>
internal static class AnalyticsHost
{
    public static IHost Build(AnalyticsSettings settings, LogLevel minimumLevel = LogLevel.Warning)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var data = Path.GetFullPath(settings.DataDirectory);
        Directory.CreateDirectory(Path.Combine(data, "analytics"));
        var builder = PipelineHost.CreateBuilder(data, settings.Store, settings.PostgresConnectionString, minimumLevel);
        var kafka = KafkaOptionsValidator.EnsureValid(new KafkaOptions { BootstrapServers = settings.Kafka, ClientId = "patientstream-analytics" });
        builder.Services.AddSingleton(sp => new AnalyticsService(settings with { DataDirectory = data }, kafka,
            sp.GetRequiredService<FhirService>(), sp.GetRequiredService<ILoggerFactory>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AnalyticsService>());
        return builder.Build();
    }
}

/// <summary>
/// The consumer group on the raw readings whose handler is the actor runtime; each patient's actor scores NEWS2,
/// trends and device quality and writes RiskAssessments and Flags to FHIR, then alert records to Kafka. A second
/// group reads the EHR records and gives the actors their clinical context (<see cref="ClinicalContextHandler"/>).
/// </summary>
internal sealed class AnalyticsService(AnalyticsSettings settings, KafkaOptions kafka, FhirService fhir, ILoggerFactory loggers) : BackgroundService
{
    private readonly TaskCompletionSource _assigned = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes once this instance owns partitions of the readings topic.</summary>
    public Task Assigned => _assigned.Task;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _assigned.TrySetException(e);
            throw;
        }
        _assigned.TrySetCanceled(stoppingToken);
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        var store = await SqliteSnapshotStore.OpenAsync(Path.Combine(settings.DataDirectory, "analytics", "snapshots.db"), stoppingToken).ConfigureAwait(false);
        using var producer = new KafkaProducer(kafka, loggers.CreateLogger<KafkaProducer>());
        var sink = new FhirAnalyticsSink(fhir, new KafkaAlertSink(producer, topic: settings.AlertsTopic));
        var analytics = new PatientAnalyticsOptions();
        // Idle actors are passivated only after a silent device has had time to raise its alert.
        var actors = new ActorRuntimeOptions { IdleTimeout = analytics.DeviceSilentAfter + TimeSpan.FromMinutes(30) };
        var runtime = PatientAnalytics.CreateRuntime(analytics, actors, store, sink,
            KafkaDeadLetters.ForPatients(producer, settings.DeadLetterTopic), logger: loggers.CreateLogger("PatientStream.Analytics.Actors"));
        await using (runtime.ConfigureAwait(false))
        {
            var handler = new AssignmentSignal(new ActorRecordHandler<PatientInput>(runtime, new ReadingMeasurements(settings.DataDirectory).Expand), _assigned);
            var loop = new ConsumerLoop(kafka, new ConsumerLoopOptions(settings.GroupId, [settings.ReadingsTopic], KafkaDeadLetters.Stage)
            {
                DeadLetterTopic = settings.DeadLetterTopic,
            }, handler, producer, loggers.CreateLogger<ConsumerLoop>());
            var clinicalLoop = new ConsumerLoop(kafka, new ConsumerLoopOptions($"{settings.GroupId}-clinical", [settings.ClinicalTopic], KafkaDeadLetters.Stage)
            {
                DeadLetterTopic = settings.DeadLetterTopic,
            }, new ClinicalContextHandler(runtime, ResolvePatientAsync, StoredConditionsAsync), producer, loggers.CreateLogger<ConsumerLoop>());
            using var ticking = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var ticker = new ClockTicker(runtime, settings.TickInterval, logger: loggers.CreateLogger<ClockTicker>()).RunAsync(ticking.Token);
            var readings = loop.RunAsync(ticking.Token);
            var clinical = clinicalLoop.RunAsync(ticking.Token);
            try
            {
                // Either loop failing stops the other: the host then stops with the failure.
                await Task.WhenAny(readings, clinical).ConfigureAwait(false);
                await ticking.CancelAsync().ConfigureAwait(false);
                await Task.WhenAll(readings, clinical).ConfigureAwait(false);
            }
            finally
            {
                await ticking.CancelAsync().ConfigureAwait(false);
                await ticker.ConfigureAwait(false);
                // Lets every actor finish what it accepted and persist its snapshot before the process goes.
                await runtime.StopAsync(CancellationToken.None).ConfigureAwait(false);
                producer.Flush(TimeSpan.FromSeconds(10));
            }
        }
    }

    /// <summary>
    /// The actor key (<c>Patient/id</c>, as device bindings name patients) of the Patient in the store that carries an
    /// identifier of the record's Patient, or of its patients' logical references. Any identifier system matches, so
    /// this needs no MRN setting; null when none or several Patients match.
    /// </summary>
    private async Task<string?> ResolvePatientAsync(JsonObject bundle, CancellationToken cancellationToken)
    {
        static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
        var resources = (bundle["entry"] as JsonArray ?? []).Select(e => (e as JsonObject)?["resource"] as JsonObject).OfType<JsonObject>().ToList();
        var identifiers = resources
            .Where(r => Text(r["resourceType"]) == "Patient")
            .SelectMany(r => r["identifier"] as JsonArray ?? [])
            .Concat(resources.Select(r => (r["subject"] as JsonObject)?["identifier"] ?? (r["patient"] as JsonObject)?["identifier"]))
            .OfType<JsonObject>()
            .Select(i => (System: Text(i["system"]), Value: Text(i["value"])))
            .Where(i => !string.IsNullOrEmpty(i.System) && !string.IsNullOrEmpty(i.Value))
            .Distinct();
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (system, value) in identifiers)
        {
            var token = $"{system!.Replace(",", "\\,", StringComparison.Ordinal)}|{value!.Replace(",", "\\,", StringComparison.Ordinal)}";
            var matches = await fhir.SearchAsync("Patient", [new("identifier", token), new("_count", "2")], strict: true, cancellationToken).ConfigureAwait(false);
            found.UnionWith(matches.Page.Matches.Select(m => m.Id));
        }
        return found.Count == 1 ? $"Patient/{found.Single()}" : null;
    }

    private async Task<IReadOnlyList<JsonObject>> StoredConditionsAsync(string patientKey, CancellationToken cancellationToken) =>
        (await fhir.SearchAsync("Condition", [new("patient", patientKey), new("_count", "1000")], strict: true, cancellationToken).ConfigureAwait(false))
            .MatchResources();

    /// <summary>Passes everything on and completes a signal on the first partition assignment.</summary>
    private sealed class AssignmentSignal(IRecordBatchHandler inner, TaskCompletionSource assigned) : IRecordBatchHandler
    {
        public Task<BatchOutcome> HandleAsync(IReadOnlyList<KafkaRecord> records, CancellationToken cancellationToken) =>
            inner.HandleAsync(records, cancellationToken);

        public async Task OnPartitionsAssignedAsync(IReadOnlyList<PartitionRef> partitions, CancellationToken cancellationToken)
        {
            await inner.OnPartitionsAssignedAsync(partitions, cancellationToken).ConfigureAwait(false);
            if (partitions.Count > 0)
            {
                assigned.TrySetResult();
            }
        }

        public Task OnPartitionsRevokedAsync(IReadOnlyList<PartitionRef> partitions, CancellationToken cancellationToken) =>
            inner.OnPartitionsRevokedAsync(partitions, cancellationToken);
    }
}
