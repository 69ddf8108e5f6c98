namespace PatientStream.Fhir.Bench;

/// <summary>How much to load and how many times to run each search.</summary>
public sealed record FhirBenchOptions(int Observations, int PerPatient, int Queries)
{
    public int Patients => Math.Max(1, Observations / PerPatient);

    public void Validate()
    {
        if (Observations < 1 || PerPatient < 1 || PerPatient > Observations || Queries < 10)
        {
            throw new ArgumentException("FhirBenchOptions: ≥ 1 Observation, 1 ≤ per patient ≤ Observations, ≥ 10 queries.");
        }
    }
}

/// <summary>One measured figure on one store; <see cref="Baseline"/> is the raw-insert figure of the same rows, if any.</summary>
public sealed record FhirBenchResult(string Store, string Name, double Value, string Unit, string? Target, bool? Met)
{
    public string? Baseline { get; init; }

    public double? BaselineValue { get; init; }
}
