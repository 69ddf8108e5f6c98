using System.Globalization;

namespace PatientStream.Fhir.Bench;

internal sealed record BenchOptions(int Observations, int PerPatient, IReadOnlyList<string> Stores, string OutputFolder, int Queries)
{
    public int Patients => Math.Max(1, Observations / PerPatient);

    public static BenchOptions Parse(string[] args)
    {
        var observations = 100_000;
        var perPatient = 500;
        var stores = new[] { "sqlite" };
        var output = Path.Combine("bench", "Fhir", "results");
        var queries = 200;
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            var value = args[i + 1];
            switch (args[i])
            {
                case "--observations":
                    observations = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--per-patient":
                    perPatient = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--store":
                    stores = value == "both" ? ["sqlite", "postgres"] : [value];
                    break;
                case "--out":
                    output = value;
                    break;
                case "--queries":
                    queries = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                default:
                    throw new ArgumentException($"Unknown option {args[i]}.");
            }
        }

        return new BenchOptions(observations, perPatient, stores, output, queries);
    }
}

internal sealed record FhirBenchResult(string Store, string Name, double Value, string Unit, string Target, bool Met);
