using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PatientStream.Fhir.Service;
using PatientStream.Ingest.Fhir;
using PatientStream.Kafka;

namespace PatientStream.Ingest.Clinical;

/// <summary>
/// One member of the clinical merge consumer group on <c>ps.clinical.records</c> (its own group, so device ingest and
/// clinical merge never wait for each other): commit after the FHIR transaction, dead letters with a reason.
/// </summary>
public sealed class ClinicalRecordsService : BackgroundService
{
    private readonly KafkaOptions _kafka;
    private readonly ClinicalOptions _options;
    private readonly IPatientDirectory _patients;
    private readonly IFhirWriter _writer;
    private readonly ILoggerFactory _loggers;
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ClinicalRecordHandler? _handler;
    private ConsumerLoop? _loop;

    public ClinicalRecordsService(KafkaOptions kafka, ClinicalOptions options, IPatientDirectory patients, IFhirWriter writer,
        ILoggerFactory? loggers = null)
    {
        _kafka = KafkaOptionsValidator.EnsureValid(kafka);
        _options = ClinicalOptionsValidator.EnsureValid(options);
        _patients = patients ?? throw new ArgumentNullException(nameof(patients));
        _writer = writer ?? throw new ArgumentNullException(nameof(writer));
        _loggers = loggers ?? NullLoggerFactory.Instance;
    }

    /// <summary>Completes once the consumer is running.</summary>
    public Task Started => _started.Task;

    /// <summary>Totals of this instance (null before start).</summary>
    public ClinicalCounters? Counters => _handler?.Counters;

    /// <summary>The consumer loop (null before start): records handled, dead-lettered, commits.</summary>
    public ConsumerLoop? Loop => _loop;

    public ClinicalOptions Options => _options;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            using var producer = new KafkaProducer(_kafka with { ClientId = $"{_kafka.ClientId}-clinical" }, _loggers.CreateLogger<KafkaProducer>());
            _handler = new ClinicalRecordHandler(_options, _patients, _writer, _loggers.CreateLogger<ClinicalRecordHandler>());
            _loop = new ConsumerLoop(_kafka, new ConsumerLoopOptions(_options.GroupId, [_options.Topic], _options.Stage)
            {
                DeadLetterTopic = _options.DeadLetterTopic,
            }, _handler, producer, _loggers.CreateLogger<ConsumerLoop>());
            var run = _loop.RunAsync(stoppingToken);
            _started.TrySetResult();
            await run.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            _started.TrySetException(e);
            throw;
        }
    }
}

/// <summary>Registration for hosts (<c>patientstream ingest</c>).</summary>
public static class ClinicalServiceCollectionExtensions
{
    /// <summary>
    /// Adds the clinical merge as a hosted service: Patients are looked up in the <see cref="FhirService"/> registered in
    /// <paramref name="services"/>, and records are written through the registered <see cref="IFhirWriter"/> if there is
    /// one, else straight to that service. Settings are validated here, so a bad configuration stops start-up.
    /// </summary>
    public static IServiceCollection AddClinicalRecords(this IServiceCollection services, KafkaOptions kafka, ClinicalOptions clinical)
    {
        ArgumentNullException.ThrowIfNull(services);
        KafkaOptionsValidator.EnsureValid(kafka);
        ClinicalOptionsValidator.EnsureValid(clinical);
        services.AddSingleton(sp =>
        {
            var fhir = sp.GetRequiredService<FhirService>();
            return new ClinicalRecordsService(kafka, clinical, new FhirServicePatientDirectory(fhir),
                sp.GetService<IFhirWriter>() ?? new FhirServiceWriter(fhir), sp.GetService<ILoggerFactory>());
        });
        services.AddHostedService(sp => sp.GetRequiredService<ClinicalRecordsService>());
        return services;
    }
}
