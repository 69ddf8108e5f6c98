using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PatientStream.Ingest.Cleaning;
using PatientStream.Ingest.Influx;
using PatientStream.Ingest.Mapping;
using PatientStream.Ingest.State;
using PatientStream.Kafka;

namespace PatientStream.Ingest;

/// <summary>
/// One ingest instance: a member of the ingest consumer group on <c>ps.readings.raw</c> writing InfluxDB and the
/// registered <see cref="ICleanSampleSink"/>s. Run more instances with the same group to scale out.
/// </summary>
public sealed class IngestService : BackgroundService
{
    private readonly KafkaOptions _kafka;
    private readonly IngestOptions _options;
    private readonly InfluxOptions? _influx;
    private readonly IReadOnlyList<ICleanSampleSink> _sinks;
    private readonly ILoggerFactory _loggers;
    private readonly SampleCatalogue _catalogue;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IngestHandler? _handler;
    private ConsumerLoop? _loop;

    /// <param name="influx">InfluxDB settings; null turns raw series off (the FHIR and other sinks still run).</param>
    public IngestService(KafkaOptions kafka, IngestOptions options, InfluxOptions? influx, IEnumerable<ICleanSampleSink>? sinks = null,
        ILoggerFactory? loggers = null)
    {
        _kafka = KafkaOptionsValidator.EnsureValid(kafka);
        _options = IngestOptionsValidator.EnsureValid(options);
        _influx = influx is null ? null : InfluxOptionsValidator.EnsureValid(influx);
        _sinks = sinks?.ToList() ?? [];
        _loggers = loggers ?? NullLoggerFactory.Instance;
        // Loaded here, not on the first record: a broken mapping stops start-up with its failing line.
        _catalogue = string.IsNullOrEmpty(options.MappingPath) ? MappingLoader.Default() : MappingLoader.Load(options.MappingPath);
    }

    /// <summary>The sample types and unit conversions in force.</summary>
    public SampleCatalogue Catalogue => _catalogue;

    /// <summary>Completes once the state is open, the database exists and the consumer is running.</summary>
    public Task Started => _started.Task;

    /// <summary>Totals of this instance (null before start).</summary>
    public IngestCounters? Counters => _handler?.Counters;

    /// <summary>The consumer loop (null before start): records handled, dead-lettered, commits.</summary>
    public ConsumerLoop? Loop => _loop;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await RunAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _started.TrySetException(e);
            throw;
        }
    }

    private async Task RunAsync(CancellationToken stoppingToken)
    {
        using var state = IngestStateStore.Open(_options.StatePath);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var writer = _influx is null ? null : new HttpInfluxWriter(http, _influx, _loggers.CreateLogger<HttpInfluxWriter>());
        if (writer is not null)
        {
            await writer.EnsureDatabaseAsync(stoppingToken).ConfigureAwait(false);
        }
        using var producer = new KafkaProducer(_kafka with { ClientId = $"{_kafka.ClientId}-ingest" }, _loggers.CreateLogger<KafkaProducer>());
        _handler = new IngestHandler(_options, state, writer, new KafkaDeadLetterWriter(producer), _sinks,
            new SampleCleaner(_options, _catalogue), _loggers.CreateLogger<IngestHandler>(), calculator: new MeasurementCalculator(_catalogue.Calculations));
        var consumer = _kafka.Extra.ContainsKey("fetch.wait.max.ms")
            ? _kafka
            : _kafka with { Extra = new Dictionary<string, string>(_kafka.Extra) { ["fetch.wait.max.ms"] = _options.FetchWaitMaxMs.ToString(System.Globalization.CultureInfo.InvariantCulture) } };
        _loop = new ConsumerLoop(consumer, new ConsumerLoopOptions(_options.GroupId, [_options.Topic], _options.Stage)
        {
            DeadLetterTopic = _options.DeadLetterTopic,
        }, _handler, producer, _loggers.CreateLogger<ConsumerLoop>());
        var run = _loop.RunAsync(stoppingToken);
        _started.TrySetResult();
        await run.ConfigureAwait(false);
    }
}

/// <summary>Registration for hosts (<c>patientstream ingest</c>).</summary>
public static class IngestServiceCollectionExtensions
{
    /// <summary>
    /// Adds one ingest instance as a hosted service. Settings are validated here, so a bad configuration stops
    /// start-up. Register <see cref="ICleanSampleSink"/>s (FHIR, analytics) before the host starts.
    /// </summary>
    public static IServiceCollection AddIngest(this IServiceCollection services, KafkaOptions kafka, IngestOptions ingest, InfluxOptions? influx)
    {
        ArgumentNullException.ThrowIfNull(services);
        KafkaOptionsValidator.EnsureValid(kafka);
        IngestOptionsValidator.EnsureValid(ingest);
        if (influx is not null)
        {
            InfluxOptionsValidator.EnsureValid(influx);
        }
        if (!string.IsNullOrEmpty(ingest.MappingPath))
        {
            MappingLoader.Load(ingest.MappingPath);
        }
        services.AddSingleton(sp => new IngestService(kafka, ingest, influx, sp.GetServices<ICleanSampleSink>(), sp.GetService<ILoggerFactory>()));
        services.AddHostedService(sp => sp.GetRequiredService<IngestService>());
        return services;
    }
}
