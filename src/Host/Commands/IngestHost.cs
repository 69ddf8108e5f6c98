using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PatientStream.Fhir.Service;
using PatientStream.Ingest;
using PatientStream.Ingest.Clinical;
using PatientStream.Ingest.Fhir;
using PatientStream.Ingest.Influx;
using PatientStream.Kafka;

namespace PatientStream.Host.Commands;

/// <summary>Settings of <c>patientstream ingest</c>.</summary>
/// <param name="MrnSystem">Identifier system of the MRN clinical records are merged by.</param>
/// <param name="CreatePatients">Create a Patient for an MRN nobody enrolled instead of dead-lettering the record.</param>
internal sealed record IngestSettings(string Kafka, string? Influx, string InfluxDatabase, string DataDirectory, string Store, string? PostgresConnectionString,
    string MrnSystem = ClinicalOptions.DefaultMrnSystem, bool CreatePatients = false)
{
    public IEnumerable<string> Problems()
    {
        if (!Endpoints.IsHostPortList(Kafka))
        {
            yield return $"--kafka must be HOST:PORT (or a comma-separated list of them), not '{Kafka}'.";
        }
        if (Influx is not null && Endpoints.HttpBase(Influx) is null)
        {
            yield return $"--influx must be an http(s) URL such as http://127.0.0.1:8086/, not '{Influx}'.";
        }
        if (string.IsNullOrWhiteSpace(InfluxDatabase))
        {
            yield return "--influx-db must name a database.";
        }
        if (!ClinicalOptionsValidator.IsAbsoluteUri(MrnSystem))
        {
            yield return $"--mrn-system must be an absolute URI such as urn:oid:1.2.3 or https://hospital.example/mrn, not '{MrnSystem}'.";
        }
        foreach (var problem in StoreOptions.Problems(Store, PostgresConnectionString))
        {
            yield return problem;
        }
    }
}

/// <summary>
/// One ingest instance as a generic host: the FHIR store (the one <c>serve --data-dir</c> opens) is initialised
/// first, then <see cref="IngestService"/> consumes with the InfluxDB writer and the FHIR Observation sink, and
/// <see cref="ClinicalRecordsService"/> merges EHR records from <c>ps.clinical.records</c> into the same store.
/// </summary>
internal static class IngestHost
{
    /// <param name="tune">Adjusts the ingest options (topics, group) before they are validated.</param>
    /// <param name="services">Adds services, e.g. further sample sinks (they run after the FHIR sink).</param>
    /// <param name="tuneClinical">Adjusts the clinical merge options (topic, group) before they are validated.</param>
    public static IHost Build(IngestSettings settings, Func<IngestOptions, IngestOptions>? tune = null, Action<IServiceCollection>? services = null,
        LogLevel minimumLevel = LogLevel.Warning, Func<ClinicalOptions, ClinicalOptions>? tuneClinical = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var data = Path.GetFullPath(settings.DataDirectory);
        Directory.CreateDirectory(Path.Combine(data, "ingest"));
        var builder = PipelineHost.CreateBuilder(data, settings.Store, settings.PostgresConnectionString, minimumLevel);
        builder.Services.AddSingleton<ICleanSampleSink>(sp => new FhirObservationSink(new FhirServiceWriter(sp.GetRequiredService<FhirService>())));
        services?.Invoke(builder.Services);
        var ingest = new IngestOptions { StatePath = Path.Combine(data, "ingest", "state.db") };
        var kafka = new KafkaOptions { BootstrapServers = settings.Kafka, ClientId = "patientstream-ingest" };
        builder.Services.AddIngest(
            kafka,
            tune is null ? ingest : tune(ingest),
            settings.Influx is null ? null : new InfluxOptions { Url = Endpoints.HttpBase(settings.Influx)!, Database = settings.InfluxDatabase });
        var clinical = new ClinicalOptions { MrnSystem = settings.MrnSystem, CreateMissingPatients = settings.CreatePatients };
        builder.Services.AddClinicalRecords(kafka, tuneClinical is null ? clinical : tuneClinical(clinical));
        return builder.Build();
    }
}
