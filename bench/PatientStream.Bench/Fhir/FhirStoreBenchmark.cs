using PatientStream.Fhir.Bench;

namespace PatientStream.Bench.Fhir;

/// <summary>
/// The FHIR server's store (bench/Fhir): transaction ingest next to raw inserts of the same rows, and clinician
/// search latency, on SQLite and — when PostgreSQL is installed — on a PostgreSQL cluster started for the run.
/// </summary>
internal sealed class FhirStoreBenchmark : IBenchmark
{
    public string Name => "fhir";

    public async Task<IReadOnlyList<BenchResult>> RunAsync(BenchSettings settings, CancellationToken cancellationToken)
    {
        var options = new FhirBenchOptions(settings.Scale(50_000, 2_000), settings.Scale(500, 100), settings.Scale(200, 30));
        var stores = new List<string> { BenchStore.Sqlite };
        if (BenchStore.PostgresInstalled())
        {
            stores.Add(BenchStore.Postgres);
        }
        else
        {
            Console.WriteLine("  PostgreSQL is not installed (apt-get install postgresql): SQLite figures only");
        }
        var results = new List<BenchResult>();
        foreach (var kind in stores)
        {
            await using var store = await BenchStore.StartAsync(kind, cancellationToken).ConfigureAwait(false);
            var rows = await FhirBenchmark.RunAsync(store, options, Console.Out, cancellationToken).ConfigureAwait(false);
            results.AddRange(rows.Select(r => new BenchResult($"fhir {r.Store}: {r.Name}", r.Value, r.Unit, r.Baseline, r.BaselineValue, r.Target, r.Met)));
        }
        return results;
    }
}
