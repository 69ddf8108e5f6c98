using System.Globalization;
using PatientStream.Fhir.Bench;

// Usage: PatientStream.Fhir.Bench [--observations N] [--per-patient M] [--store sqlite|postgres|both] [--out DIR]
var options = BenchOptions.Parse(args);
var results = new List<FhirBenchResult>();
foreach (var store in options.Stores)
{
    Console.WriteLine($"fhir bench: {store}, {options.Observations.ToString("N0", CultureInfo.InvariantCulture)} observations, {options.PerPatient} per patient");
    await using var target = await BenchStore.StartAsync(store, CancellationToken.None);
    results.AddRange(await FhirBenchmark.RunAsync(target, options, CancellationToken.None));
}

await FhirBenchReport.WriteAsync(options.OutputFolder, options, results, CancellationToken.None);
return 0;
