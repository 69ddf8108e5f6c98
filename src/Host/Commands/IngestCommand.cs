using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PatientStream.Ingest;
using PatientStream.Ingest.Clinical;

namespace PatientStream.Host.Commands;

/// <summary>
/// <c>patientstream ingest</c>: one member of the ingest consumer group, writing InfluxDB and FHIR, and one member of
/// the clinical merge group on <c>ps.clinical.records</c>.
/// </summary>
internal static class IngestCommand
{
    public static Command Create()
    {
        var kafka = new Option<string>("--kafka") { Description = "Kafka bootstrap servers, HOST:PORT[,HOST:PORT...].", Required = true };
        var influx = new Option<string?>("--influx") { Description = "InfluxDB 1.x base URL, e.g. http://127.0.0.1:8086/ (without it raw series are off; FHIR still gets every Observation)." };
        var influxDb = new Option<string>("--influx-db") { Description = "InfluxDB database (created when missing).", DefaultValueFactory = _ => "patientstream" };
        var dataDir = new Option<string>("--data-dir") { Description = "Folder for ingest state and the SQLite FHIR store (the one serve --data-dir uses).", DefaultValueFactory = _ => "data" };
        var store = StoreOptions.Store();
        var postgres = StoreOptions.Postgres();
        var mrnSystem = new Option<string>("--mrn-system")
        {
            Description = "Identifier system (URI) of the MRN that EHR records are merged onto enrolled Patients by.",
            DefaultValueFactory = _ => ClinicalOptions.DefaultMrnSystem,
        };
        var createPatients = new Option<bool>("--create-patients")
        {
            Description = "Create a Patient for an EHR record whose MRN no Patient carries (default: dead-letter it as clinical.unknown-patient).",
        };
        var command = new Command("ingest",
            "Consume gated device batches from Kafka (clean, dedupe, write InfluxDB and FHIR Observations) and merge EHR records from ps.clinical.records.")
        {
            kafka, influx, influxDb, dataDir, store, postgres, mrnSystem, createPatients,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = new IngestSettings(result.GetValue(kafka)!, result.GetValue(influx), result.GetValue(influxDb)!,
                Path.GetFullPath(result.GetValue(dataDir)!), result.GetValue(store)!, result.GetValue(postgres), result.GetValue(mrnSystem)!,
                result.GetValue(createPatients));
            return StoreOptions.Refuse([.. settings.Problems()]) ? 2 : await RunAsync(settings, Console.Out, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Runs until cancelled or until a service fails; prints <c>READY ingest</c> once both consumers run.</summary>
    public static async Task<int> RunAsync(IngestSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        IHost host;
        try
        {
            host = IngestHost.Build(settings);
        }
        catch (Exception e) when (e is OptionsValidationException or ArgumentException or InvalidDataException)
        {
            await Console.Error.WriteLineAsync($"ingest: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        using (host)
        {
            var service = host.Services.GetRequiredService<IngestService>();
            var clinical = host.Services.GetRequiredService<ClinicalRecordsService>();
            var failed = false;
            try
            {
                await host.StartAsync(cancellationToken).ConfigureAwait(false);
                await Task.WhenAll(service.Started, clinical.Started).WaitAsync(cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync($"READY ingest (kafka {settings.Kafka}, {(settings.Influx is null ? "raw series off (no InfluxDB)" : $"influx {settings.Influx} db {settings.InfluxDatabase}")}, store {settings.Store}, "
                    + $"clinical {clinical.Options.Topic} mrn {settings.MrnSystem}{(settings.CreatePatients ? " create-patients" : "")})").ConfigureAwait(false);
                // Returns on Ctrl-C, or once the ingest service fails and stops the host; either way the host is stopped.
                await host.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failed = true;
                await Console.Error.WriteLineAsync($"ingest failed: {e.Message}").ConfigureAwait(false);
                await host.StopAsync(CancellationToken.None).ConfigureAwait(false);
            }
            return failed || service.ExecuteTask is { IsFaulted: true } || clinical.ExecuteTask is { IsFaulted: true } ? 1 : 0;
        }
    }
}
