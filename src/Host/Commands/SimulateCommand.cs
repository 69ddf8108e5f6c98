using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using PatientStream.EdgeAgent.Simulation;
using PatientStream.Mqtt;

namespace PatientStream.Host.Commands;

/// <summary>Settings of <c>patientstream simulate</c>.</summary>
internal sealed record SimulateSettings(int Patients, string Broker, string? Faults, double Duration, bool Ecg, int IntervalMs, int Batches)
{
    /// <summary>Device ids are "{prefix}-0000", "{prefix}-0001", ...; bind them to patients under these ids.</summary>
    public string DevicePrefix { get; init; } = "sim";

    /// <summary>PEM CA of the broker's certificate: devices enroll and connect over mTLS.</summary>
    public string? Ca { get; init; }

    /// <summary>Name the broker's certificate carries (defaults to the broker host).</summary>
    public string? TlsName { get; init; }

    /// <summary>The server offering <c>/attestation/v1</c>.</summary>
    public string? Attest { get; init; }

    /// <summary>The simulated manufacturer's folder: its root, and each device's key and certificate.</summary>
    public string? Manufacturer { get; init; }

    /// <summary>Comma-separated device ids whose patients deteriorate; null keeps the default share.</summary>
    public string? Deteriorating { get; init; }

    /// <summary>Seconds from well to fully deteriorated.</summary>
    public double DeteriorationSeconds { get; init; } = 600;

    /// <summary>Seconds before a deteriorating patient starts to worsen; null draws 10–60 s per patient.</summary>
    public double? DeteriorationOnsetSeconds { get; init; }

    /// <summary>Seconds between two STATUS lines; 0 prints none.</summary>
    public double StatusInterval { get; init; }

    /// <summary>Enrollments in flight at once.</summary>
    public int EnrollConcurrency { get; init; } = 8;

    /// <summary>The device ids of this run.</summary>
    public IEnumerable<string> DeviceIds => Enumerable.Range(0, Math.Max(0, Patients)).Select(i => $"{DevicePrefix}-{i:D4}");

    public IReadOnlySet<string>? DeterioratingDevices =>
        Deteriorating is null ? null : Deteriorating.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);

    public IEnumerable<string> Problems()
    {
        if (Patients is < 1 or > 100_000)
        {
            yield return $"--patients must be 1..100000, not {Patients}.";
        }
        if (!Endpoints.TryParseHostPort(Broker, out _, out _))
        {
            yield return $"--broker must be HOST:PORT, not '{Broker}'.";
        }
        string? faultProblem = null;
        try
        {
            SimulatorFaultNames.Parse(Faults);
        }
        catch (ArgumentException e)
        {
            faultProblem = $"--faults: {e.Message.Split(" (Parameter", 2)[0]}";
        }
        if (faultProblem is not null)
        {
            yield return faultProblem;
        }
        if (Duration < 0 || double.IsNaN(Duration))
        {
            yield return "--duration must be 0 (until Ctrl-C) or a number of seconds.";
        }
        if (IntervalMs < 10)
        {
            yield return "--interval-ms must be at least 10.";
        }
        if (string.IsNullOrWhiteSpace(DevicePrefix) || DevicePrefix.IndexOfAny(['/', '+', '#']) >= 0)
        {
            yield return "--device-prefix must be non-empty without '/', '+' or '#'.";
        }
        if (Batches < 0)
        {
            yield return "--batches must not be negative.";
        }
        foreach (var problem in TlsProblems().Concat(DeteriorationProblems()))
        {
            yield return problem;
        }
        if (StatusInterval < 0 || double.IsNaN(StatusInterval))
        {
            yield return "--status-interval must be 0 (off) or a number of seconds.";
        }
    }

    private IEnumerable<string> TlsProblems()
    {
        if (Ca is null)
        {
            if (Attest is not null || Manufacturer is not null || TlsName is not null)
            {
                yield return "--attest, --manufacturer and --tls-name need --ca (the broker's CA): without it devices use plain MQTT.";
            }
            yield break;
        }
        if (!File.Exists(Ca))
        {
            yield return $"--ca {Ca}: no such file.";
        }
        if (Endpoints.HttpBase(Attest) is null)
        {
            yield return $"--ca needs --attest, the attestation server's http(s) URL (serve's address), not '{Attest}'.";
        }
        if (string.IsNullOrWhiteSpace(Manufacturer))
        {
            yield return "--ca needs --manufacturer DIR (the simulated manufacturer's root and the devices' credentials).";
        }
        if (EnrollConcurrency is < 1 or > 256)
        {
            yield return "--enroll-concurrency must be 1..256.";
        }
    }

    private IEnumerable<string> DeteriorationProblems()
    {
        if (DeterioratingDevices is { } named)
        {
            var simulated = DeviceIds.ToHashSet(StringComparer.Ordinal);
            foreach (var id in named.Where(id => !simulated.Contains(id)).Order(StringComparer.Ordinal))
            {
                yield return $"--deteriorating: '{id}' is not one of the simulated devices ({DevicePrefix}-0000 .. {DevicePrefix}-{Patients - 1:D4}).";
            }
        }
        if (!(DeteriorationSeconds > 0))
        {
            yield return "--deterioration-seconds must be positive.";
        }
        if (DeteriorationOnsetSeconds is { } onset && !(onset >= 0))
        {
            yield return "--deterioration-onset must not be negative.";
        }
    }

    public SimulatorOptions Options()
    {
        var (host, port) = Endpoints.HostPort(Broker);
        return new SimulatorOptions
        {
            Patients = Patients, BrokerHost = host, BrokerPort = port, Ecg = Ecg, Faults = SimulatorFaultNames.Parse(Faults),
            Interval = TimeSpan.FromMilliseconds(IntervalMs), BatchesPerDevice = Batches, DevicePrefix = DevicePrefix,
            DeterioratingDevices = DeterioratingDevices, DeteriorationDuration = TimeSpan.FromSeconds(DeteriorationSeconds),
            DeteriorationOnset = DeteriorationOnsetSeconds is { } onset ? TimeSpan.FromSeconds(onset) : null,
            BrokerCa = Ca is null ? null : X509Certificate2.CreateFromPem(File.ReadAllText(Ca)),
            BrokerTlsName = TlsName,
        };
    }
}

/// <summary><c>patientstream simulate</c>: wearables of simulated patients publishing to a broker.</summary>
internal static class SimulateCommand
{
    public static Command Create()
    {
        var patients = new Option<int>("--patients") { Description = "Number of simulated patients (one device each).", DefaultValueFactory = _ => 10 };
        var broker = new Option<string>("--broker") { Description = "The MQTT broker, HOST:PORT.", Required = true };
        var faults = new Option<string?>("--faults")
        {
            Description = $"Comma-separated faults to inject: {string.Join(", ", SimulatorFaultNames.Names)}.",
        };
        var duration = new Option<double>("--duration") { Description = "Seconds to run; 0 runs until Ctrl-C.", DefaultValueFactory = _ => 0 };
        var ecg = new Option<bool>("--ecg") { Description = "Add a 250 Hz ECG waveform to every batch." };
        var interval = new Option<int>("--interval-ms") { Description = "Milliseconds between two batches of one device.", DefaultValueFactory = _ => 1000 };
        var batches = new Option<int>("--batches") { Description = "Batches per device before it stops; 0 = no limit.", DefaultValueFactory = _ => 0 };
        var prefix = new Option<string>("--device-prefix") { Description = "Device ids are PREFIX-0000, PREFIX-0001, ...", DefaultValueFactory = _ => "sim" };
        var ca = new Option<string?>("--ca") { Description = "PEM CA of the broker's certificate: every device enrolls (--attest) and connects over mTLS with its own certificate." };
        var tlsName = new Option<string?>("--tls-name") { Description = "Name in the broker's certificate (default: the broker host)." };
        var attest = new Option<string?>("--attest") { Description = "URL of the server offering /attestation/v1 (serve's address), e.g. http://127.0.0.1:8080/." };
        var manufacturer = new Option<string?>("--manufacturer")
        {
            Description = "Folder of the simulated manufacturer: root.crt.pem (trust it in serve's manufacturer-roots), root.key.pem, devices/<id>/ credentials. Created when missing.",
        };
        var deteriorating = new Option<string?>("--deteriorating") { Description = "Comma-separated device ids whose patients deteriorate; every other patient stays well." };
        var deteriorationSeconds = new Option<double>("--deterioration-seconds") { Description = "Seconds from well to fully deteriorated.", DefaultValueFactory = _ => 600 };
        var deteriorationOnset = new Option<double?>("--deterioration-onset") { Description = "Seconds before deteriorating patients start to worsen (default: 10-60, drawn per patient)." };
        var statusInterval = new Option<double>("--status-interval")
        {
            Description = "Seconds between two lines 'STATUS published=N enrolled=N connected=N failed=N'; 0 = none.", DefaultValueFactory = _ => 0,
        };
        var enrollConcurrency = new Option<int>("--enroll-concurrency") { Description = "Enrollments in flight at once.", DefaultValueFactory = _ => 8 };
        var command = new Command("simulate", "Simulate patients' wearables (vital signs, optional ECG, injected faults) publishing to an MQTT broker; over TLS each device enrolls by attestation.")
        {
            patients, broker, faults, duration, ecg, interval, batches, prefix, ca, tlsName, attest, manufacturer,
            deteriorating, deteriorationSeconds, deteriorationOnset, statusInterval, enrollConcurrency,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = new SimulateSettings(result.GetValue(patients), result.GetValue(broker)!, result.GetValue(faults), result.GetValue(duration),
                result.GetValue(ecg), result.GetValue(interval), result.GetValue(batches))
            {
                DevicePrefix = result.GetValue(prefix)!, Ca = result.GetValue(ca), TlsName = result.GetValue(tlsName), Attest = result.GetValue(attest),
                Manufacturer = result.GetValue(manufacturer), Deteriorating = result.GetValue(deteriorating),
                DeteriorationSeconds = result.GetValue(deteriorationSeconds), DeteriorationOnsetSeconds = result.GetValue(deteriorationOnset),
                StatusInterval = result.GetValue(statusInterval), EnrollConcurrency = result.GetValue(enrollConcurrency),
            };
            return StoreOptions.Refuse([.. settings.Problems()]) ? 2 : await RunAsync(settings, Console.Out, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>
    /// Runs until every device has sent its batches, the duration is over or Ctrl-C; then prints the totals.
    /// Exits 1 when a device could not enroll or connect (the others run on).
    /// </summary>
    public static async Task<int> RunAsync(SimulateSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information));
        SimulatedManufacturer? loaded;
        try
        {
            loaded = settings.Ca is null ? null : SimulatedManufacturer.LoadOrCreate(settings.Manufacturer!);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"simulate: --manufacturer: {e.Message}").ConfigureAwait(false);
            return 1;
        }
        using var manufacturer = loaded;
        SimulatorOptions options;
        try
        {
            options = settings.Options();
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"simulate: --ca {settings.Ca}: not a readable PEM certificate ({e.Message})").ConfigureAwait(false);
            return 1;
        }
        using var enrollment = manufacturer is null ? null : new AttestationEnrollment(
            new AttestationEnrollmentOptions { Server = Endpoints.HttpBase(settings.Attest)!, MaxConcurrency = settings.EnrollConcurrency },
            manufacturer, logger: loggers.CreateLogger<AttestationEnrollment>());
        try
        {
            var simulator = new DeviceSimulator(options, enrollment, loggers.CreateLogger<DeviceSimulator>());
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            if (settings.Duration > 0)
            {
                stop.CancelAfter(TimeSpan.FromSeconds(settings.Duration));
            }
            var run = simulator.RunAsync(stop.Token);
            if (settings.StatusInterval > 0)
            {
                await ReportStatusAsync(simulator, TimeSpan.FromSeconds(settings.StatusInterval), run, output).ConfigureAwait(false);
            }
            try
            {
                await run.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            var stats = simulator.Stats;
            if (settings.StatusInterval > 0)
            {
                await output.WriteLineAsync(StatusLine(stats)).ConfigureAwait(false);
            }
            var injected = string.Join(", ", stats.Faults.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}={f.Value}"));
            var enrolled = enrollment?.Stats is { } e ? $", enrolled {stats.Enrolled} (new {e.Enrolled}, reused {e.Reused}), failed {stats.Failed}" : $", failed {stats.Failed}";
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"simulated {settings.Patients} patient(s): published {stats.Published}, refused {stats.Refused}, connections {stats.Connections}, faults [{injected}]{enrolled}"))
                .ConfigureAwait(false);
            if (stats.Failed > 0)
            {
                await Console.Error.WriteLineAsync($"simulate: {stats.Failed} device(s) failed; first: {stats.FirstFailure}").ConfigureAwait(false);
                return 1;
            }
            return 0;
        }
        finally
        {
            options.BrokerCa?.Dispose();
        }
    }

    public static string StatusLine(SimulatorStats stats) => string.Create(CultureInfo.InvariantCulture,
        $"STATUS published={stats.Published} enrolled={stats.Enrolled} connected={stats.Connected} failed={stats.Failed}");

    /// <summary>Writes a STATUS line every <paramref name="every"/> until the run ends.</summary>
    private static async Task ReportStatusAsync(DeviceSimulator simulator, TimeSpan every, Task run, TextWriter output)
    {
        using var timer = new PeriodicTimer(every);
        while (true)
        {
            var tick = timer.WaitForNextTickAsync().AsTask();
            if (await Task.WhenAny(tick, run).ConfigureAwait(false) == run)
            {
                return;
            }
            await output.WriteLineAsync(StatusLine(simulator.Stats)).ConfigureAwait(false);
            await output.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }
}
