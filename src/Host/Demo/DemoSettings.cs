namespace PatientStream.Host.Demo;

/// <summary>How the demo starts this same executable for each part: <c>dotnet patientstream.dll COMMAND ...</c>.</summary>
internal sealed record Launcher(string FileName, IReadOnlyList<string> PrefixArguments)
{
    /// <summary>The running executable: through <c>dotnet</c> when started as a dll, else the app host itself.</summary>
    public static Launcher Current()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        return Path.GetFileNameWithoutExtension(process) == "dotnet"
            ? new Launcher(process, [typeof(Launcher).Assembly.Location])
            : new Launcher(process, []);
    }

    public IReadOnlyList<string> Arguments(params string[] command) => [.. PrefixArguments, .. command];
}

/// <summary>Settings of <c>patientstream demo</c>.</summary>
/// <param name="Batches">Batches per device before the simulator stops (0: until the demo stops); a finite run has exact expected counts.</param>
/// <param name="WithdrawAfterSeconds">When (after READY) the withdrawing patient withdraws consent; null: half the duration, or 60 s.</param>
/// <param name="DeteriorationSeconds">How fast the deteriorating patient goes from well to septic.</param>
internal sealed record DemoSettings(int Patients, int DurationSeconds, int Port, string DataDirectory, string? Kafka, string? Influx, string? Postgres)
{
    public int Batches { get; init; }

    public int IntervalMs { get; init; } = 1000;

    public int? WithdrawAfterSeconds { get; init; }

    public int DeteriorationSeconds { get; init; } = 60;

    public Launcher Launcher { get; init; } = Launcher.Current();

    public TimeSpan WithdrawAfter => TimeSpan.FromSeconds(WithdrawAfterSeconds ?? (DurationSeconds > 0 ? DurationSeconds / 2 : 60));

    public IEnumerable<string> Problems()
    {
        if (Patients is < 4 or > 10_000)
        {
            yield return $"--patients must be 4..10000 (one deteriorates, one has no consent, one withdraws, the rest consent), not {Patients}.";
        }
        if (DurationSeconds < 0)
        {
            yield return "--duration must be 0 (until Ctrl-C) or a number of seconds.";
        }
        if (Port is < 1 or > 65535)
        {
            yield return $"--port {Port} is not a TCP port.";
        }
        if (Kafka is not null && !Commands.Endpoints.IsHostPortList(Kafka))
        {
            yield return $"--kafka must be HOST:PORT[,HOST:PORT...], not '{Kafka}'.";
        }
        if (Influx is not null && Commands.Endpoints.HttpBase(Influx) is null)
        {
            yield return $"--influx must be an http(s) URL, not '{Influx}'.";
        }
        if (Postgres is not null && string.IsNullOrWhiteSpace(Postgres))
        {
            yield return "--postgres must be a connection string.";
        }
        if (Batches < 0)
        {
            yield return "--batches must not be negative.";
        }
        if (IntervalMs < 50)
        {
            yield return "--interval-ms must be at least 50.";
        }
        if (WithdrawAfterSeconds is < 1)
        {
            yield return "--withdraw-after must be at least 1 second.";
        }
        if (DeteriorationSeconds < 1)
        {
            yield return "--deterioration-seconds must be at least 1.";
        }
    }
}
