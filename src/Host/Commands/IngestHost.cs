using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PatientStream.Fhir.Service;
using PatientStream.Ingest;
using PatientStream.Ingest.Fhir;
using PatientStream.Ingest.Influx;
using PatientStream.Kafka;

namespace PatientStream.Host.Commands;

/// <summary>Settings of <c>patientstream ingest</c>.</summary>
internal sealed record IngestSettings(string Kafka, string Influx, string InfluxDatabase, string DataDirectory, string Store, string? PostgresConnectionString)
{
    public IEnumerable<string> Problems()
    {
        if (!Endpoints.IsHostPortList(Kafka))
        {
            yield return $"--kafka must be HOST:PORT (or a comma-separated list of them), not '{Kafka}'.";
        }
        if (Endpoints.HttpBase(Influx) is null)
        {
            yield return $"--influx must be an http(s) URL such as http://127.0.0.1:8086/, not '{Influx}'.";
        }
        if (string.IsNullOrWhiteSpace(InfluxDatabase))
        {
            yield return "--influx-db must name a database.";
        }
        foreach (var problem in StoreOptions.Problems(Store, PostgresConnectionString))
        {
            yield return problem;
        }
    }
}

/// <summary>
/// One ingest instance as a generic host: the FHIR store (the one <c>serve --data-dir</c> opens) is initialised
/// first, then <see cref="IngestService"/> consumes with the InfluxDB writer and the FHIR Observation sink.
/// </summary>
internal static class IngestHost
{
    /// <param name="tune">Adjusts the ingest options (topics, group) before they are validated.</param>
    /// <param name="services">Adds services, e.g. further sample sinks (they run after the FHIR sink).</param>
    public static IHost Build(IngestSettings settings, Func<IngestOptions, IngestOptions>? tune = null, Action<IServiceCollection>? services = null,
        LogLevel minimumLevel = LogLevel.Warning)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var data = Path.GetFullPath(settings.DataDirectory);
        Directory.CreateDirectory(Path.Combine(data, "ingest"));
        var builder = PipelineHost.CreateBuilder(data, settings.Store, settings.PostgresConnectionString, minimumLevel);
        builder.Services.AddSingleton<ICleanSampleSink>(sp => new FhirObservationSink(new FhirServiceWriter(sp.GetRequiredService<FhirService>())));
        services?.Invoke(builder.Services);
        var ingest = new IngestOptions { StatePath = Path.Combine(data, "ingest", "state.db") };
        builder.Services.AddIngest(
            new KafkaOptions { BootstrapServers = settings.Kafka, ClientId = "patientstream-ingest" },
            tune is null ? ingest : tune(ingest),
            new InfluxOptions { Url = Endpoints.HttpBase(settings.Influx)!, Database = settings.InfluxDatabase });
        return builder.Build();
    }
}
