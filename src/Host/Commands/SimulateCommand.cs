using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using PatientStream.EdgeAgent.Simulation;
using PatientStream.Mqtt;

namespace PatientStream.Host.Commands;

/// <summary>Settings of <c>patientstream simulate</c>.</summary>
internal sealed record SimulateSettings(int Patients, string Broker, string? Faults, double Duration, bool Ecg, int IntervalMs, int Batches)
{
    /// <summary>Device ids are "{prefix}-0000", "{prefix}-0001", ...; bind them to patients under these ids.</summary>
    public string DevicePrefix { get; init; } = "sim";

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
    }

    public SimulatorOptions Options()
    {
        var (host, port) = Endpoints.HostPort(Broker);
        return new SimulatorOptions
        {
            Patients = Patients, BrokerHost = host, BrokerPort = port, Ecg = Ecg, Faults = SimulatorFaultNames.Parse(Faults),
            Interval = TimeSpan.FromMilliseconds(IntervalMs), BatchesPerDevice = Batches, DevicePrefix = DevicePrefix,
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
        var command = new Command("simulate", "Simulate patients' wearables (vital signs, optional ECG, injected faults) publishing to an MQTT broker.")
        {
            patients, broker, faults, duration, ecg, interval, batches, prefix,
        };
        command.SetAction(async (result, cancellationToken) =>
        {
            var settings = new SimulateSettings(result.GetValue(patients), result.GetValue(broker)!, result.GetValue(faults), result.GetValue(duration),
                result.GetValue(ecg), result.GetValue(interval), result.GetValue(batches)) { DevicePrefix = result.GetValue(prefix)! };
            return StoreOptions.Refuse([.. settings.Problems()]) ? 2 : await RunAsync(settings, Console.Out, cancellationToken).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Runs until every device has sent its batches, the duration is over or Ctrl-C; then prints the totals.</summary>
    public static async Task<int> RunAsync(SimulateSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(output);
        using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Information));
        var simulator = new DeviceSimulator(settings.Options(), logger: loggers.CreateLogger<DeviceSimulator>());
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (settings.Duration > 0)
        {
            stop.CancelAfter(TimeSpan.FromSeconds(settings.Duration));
        }
        var exit = 0;
        try
        {
            await simulator.RunAsync(stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or MqttConnectionException)
        {
            await Console.Error.WriteLineAsync($"simulate: {e.Message}").ConfigureAwait(false);
            exit = 1;
        }
        var stats = simulator.Stats;
        var injected = string.Join(", ", stats.Faults.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key}={f.Value}"));
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"simulated {settings.Patients} patient(s): published {stats.Published}, refused {stats.Refused}, connections {stats.Connections}, faults [{injected}]")).ConfigureAwait(false);
        return exit;
    }
}
