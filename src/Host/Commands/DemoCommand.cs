using System.CommandLine;
using PatientStream.Host.Demo;

namespace PatientStream.Host.Commands;

/// <summary>
/// <c>patientstream demo</c>: the whole pipeline on this machine as supervised child processes, with a cohort of
/// simulated patients whose consents and physiology show every gate and alert at work.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var patients = new Option<int>("--patients") { Description = "Simulated patients (at least 4).", DefaultValueFactory = _ => 20 };
        var duration = new Option<int>("--duration") { Description = "Stop after this many seconds (0: run until Ctrl-C).", DefaultValueFactory = _ => 0 };
        var port = new Option<int>("--port") { Description = "Port of the server on 127.0.0.1.", DefaultValueFactory = _ => 8080 };
        var dataDir = new Option<string>("--data-dir") { Description = "Folder for certificates, stores, buffers and logs (emptied at each run).", DefaultValueFactory = _ => "data/demo" };
        var kafka = new Option<string?>("--kafka") { Description = "Kafka bootstrap servers HOST:PORT (default: an embedded mock cluster)." };
        var influx = new Option<string?>("--influx") { Description = "InfluxDB URL (v1 HTTP API); default: influxd started in the data dir." };
        var postgres = new Option<string?>("--postgres") { Description = "PostgreSQL connection string for the FHIR store (default: SQLite in the data dir)." };
        var batches = new Option<int>("--batches") { Description = "Batches per device before the simulator stops (0: until the demo stops).", DefaultValueFactory = _ => 0 };
        var interval = new Option<int>("--interval-ms") { Description = "Milliseconds between two batches of one device.", DefaultValueFactory = _ => 1000 };
        var withdraw = new Option<int?>("--withdraw-after") { Description = "Seconds after READY when the withdrawing patient withdraws consent (default: half the duration, or 60)." };
        var deterioration = new Option<int>("--deterioration-seconds") { Description = "How long the deteriorating patient takes from well to septic.", DefaultValueFactory = _ => 60 };
        var command = new Command("demo", "Run the whole pipeline on this machine: devices → Mosquitto (mTLS) → edge gate → Kafka → ingest → InfluxDB and FHIR, analytics → alerts.")
        {
            patients, duration, port, dataDir, kafka, influx, postgres, batches, interval, withdraw, deterioration,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = new DemoSettings(result.GetValue(patients), result.GetValue(duration), result.GetValue(port), Path.GetFullPath(result.GetValue(dataDir)!),
                result.GetValue(kafka), result.GetValue(influx), result.GetValue(postgres))
            {
                Batches = result.GetValue(batches),
                IntervalMs = result.GetValue(interval),
                WithdrawAfterSeconds = result.GetValue(withdraw),
                DeteriorationSeconds = result.GetValue(deterioration),
            };
            return StoreOptions.Refuse([.. settings.Problems()]) ? 2 : await RunAsync(settings, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    private static async Task<int> RunAsync(DemoSettings settings, CancellationToken cancellationToken)
    {
        await using var supervisor = new DemoSupervisor(settings, Console.Out);
        var run = supervisor.RunAsync(cancellationToken);
        // On Ctrl-C or SIGTERM the command line returns after a short grace period while the children are still
        // stopping; holding process exit until the supervisor is done leaves no child behind.
        void WaitForChildren(object? sender, EventArgs e) => ((IAsyncResult)run).AsyncWaitHandle.WaitOne(TimeSpan.FromMinutes(2));
        AppDomain.CurrentDomain.ProcessExit += WaitForChildren;
        try
        {
            return await run.ConfigureAwait(false);
        }
        finally
        {
            AppDomain.CurrentDomain.ProcessExit -= WaitForChildren;
        }
    }
}
