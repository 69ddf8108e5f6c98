using System.Diagnostics;
using System.Globalization;
using PatientStream.Kafka;

namespace PatientStream.Host.Demo;

/// <summary>
/// Runs the whole pipeline as supervised child processes: Mosquitto (mTLS, ACL), InfluxDB, serve, ingest, analytics,
/// the edge agent and the simulator, with the Kafka mock cluster inside this process unless an external Kafka is
/// given. Prints one READY line when every part is up, a progress line every two seconds, restarts a part that dies
/// and reports it, and stops everything (children first with SIGTERM, killed after a grace period) on cancellation.
/// </summary>
internal sealed class DemoSupervisor : IAsyncDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan s_stopGrace = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan s_progressInterval = TimeSpan.FromSeconds(2);
    private readonly DemoSettings _settings;
    private readonly DemoLayout _layout;
    private readonly TextWriter _output;
    private readonly List<SupervisedChild> _children = [];
    private readonly HttpClient _probe = new() { Timeout = TimeSpan.FromSeconds(2) };
    private EmbeddedKafkaCluster? _kafka;
    private DemoProgress? _progress;

    public DemoSupervisor(DemoSettings settings, TextWriter output)
    {
        _settings = settings;
        _layout = new DemoLayout(settings.DataDirectory);
        _output = TextWriter.Synchronized(output);
    }

    /// <summary>Runs until <paramref name="cancellationToken"/> or the duration ends; 0 after a clean run, 1 when a part could not start.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (_settings.DurationSeconds > 0)
        {
            stop.CancelAfter(TimeSpan.FromSeconds(_settings.DurationSeconds));
        }
        using var stopping = stop.Token.Register(MarkStopping);
        var started = Stopwatch.GetTimestamp();
        DemoRun? run = null;
        var exit = 0;
        try
        {
            run = await StartAsync(stop.Token).ConfigureAwait(false);
            Say($"READY fhir={run.Endpoints.Server.AbsoluteUri}fhir");
            await RunUntilStoppedAsync(run, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (DemoStartupException e)
        {
            Say($"demo: {e.Message}");
            exit = 1;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException or UnauthorizedAccessException
            or System.Security.Cryptography.CryptographicException or InvalidOperationException or System.ComponentModel.Win32Exception
            or System.Text.Json.JsonException)
        {
            Say($"demo failed: {e.GetType().Name}: {e.Message}");
            exit = 1;
        }
        finally
        {
            // Whatever went wrong, even an exception not caught above, the children are stopped: no process is left behind.
            await StopAsync(run).ConfigureAwait(false);
        }
        Say(string.Create(CultureInfo.InvariantCulture, $"stopped cleanly after {Stopwatch.GetElapsedTime(started).TotalSeconds:0} s; logs in {_layout.Logs}"));
        return exit;
    }

    private sealed record DemoRun(DemoEndpoints Endpoints, DemoCohort Cohort, HttpClient Server, DemoProgress Progress, SupervisedChild Simulator);

    private async Task<DemoRun> StartAsync(CancellationToken cancellationToken)
    {
        if (_layout.IsClaimed())
        {
            DemoLeftovers.Stop(_layout);
        }
        _layout.Prepare();
        var mosquitto = DemoParts.FindBinary("mosquitto")
            ?? throw new DemoStartupException("mosquitto is not installed: apt-get install -y mosquitto");

        string kafka;
        if (_settings.Kafka is null)
        {
            _kafka = EmbeddedKafkaCluster.Start();
            kafka = _kafka.BootstrapServers;
            Say($"kafka: embedded mock cluster at {kafka}");
        }
        else
        {
            kafka = _settings.Kafka;
            Say($"kafka: {kafka}");
        }

        var broker = DemoBroker.Prepare(_layout);
        DemoManufacturer.Prepare(_layout);
        // Without influxd and --influx, ingest runs with raw series off: FHIR still gets every Observation.
        var influxd = _settings.Influx is null ? DemoParts.FindBinary("influxd") : null;
        var parts = new List<Task> { StartChildAsync(DemoParts.Mosquitto(mosquitto, broker), cancellationToken) };
        Uri? influx = null;
        if (_settings.Influx is not null)
        {
            influx = Commands.Endpoints.HttpBase(_settings.Influx)!;
        }
        else if (influxd is not null)
        {
            var (config, port) = DemoInflux.Prepare(_layout);
            influx = new Uri($"http://127.0.0.1:{port}/");
            parts.Add(StartChildAsync(DemoParts.Influx(influxd, config, influx, _probe), cancellationToken));
        }
        var endpoints = new DemoEndpoints(kafka, _settings.Port, influx, broker);
        parts.Add(StartChildAsync(DemoParts.Serve(_settings, _layout, endpoints), cancellationToken));
        await Task.WhenAll(parts).ConfigureAwait(false);
        Say($"mosquitto: mqtts://{endpoints.BrokerAddress} (client certificates from the device CA, per-device ACL)");
        Say(influx is null
            ? "influxdb: not installed, so raw series are OFF (apt-get install -y influxdb, or --influx URL, turns them on)"
            : $"influxdb: {influx}");
        Say($"server: {endpoints.Server} (FHIR at /fhir, consent at /consent/v1, attestation at /attestation/v1)");

        var server = new HttpClient { BaseAddress = endpoints.Server, Timeout = TimeSpan.FromSeconds(30) };
        var cohort = new DemoCohort(_settings.Patients);
        await cohort.RecordAsync(server, cancellationToken).ConfigureAwait(false);
        Say(string.Create(CultureInfo.InvariantCulture,
            $"patients: {cohort.Patients.Count} with one bound device each; {cohort.Deteriorating.Reference} deteriorates, {cohort.WithoutConsent.Reference} has no consent, {cohort.Withdrawing.Reference} withdraws consent after {_settings.WithdrawAfter.TotalSeconds:0} s"));

        var progress = new DemoProgress(server);
        _progress = progress;
        await Task.WhenAll(
            StartChildAsync(DemoParts.Ingest(_settings, _layout, endpoints), cancellationToken),
            StartChildAsync(DemoParts.Analytics(_settings, _layout, endpoints), cancellationToken),
            StartChildAsync(DemoParts.Edge(_settings, _layout, endpoints), cancellationToken)).ConfigureAwait(false);
        var records = await DemoClinical.PublishAsync(kafka, cohort, cancellationToken).ConfigureAwait(false);
        Say(string.Create(CultureInfo.InvariantCulture, $"ehr: {records} clinical records (Patient by MRN, Encounter, Condition, clinic weight) sent to ps.clinical.records; ingest merges them onto the bound Patients"));
        var simulator = await StartChildAsync(DemoParts.Simulate(_settings, _layout, endpoints, cohort), cancellationToken).ConfigureAwait(false);
        return new DemoRun(endpoints, cohort, server, progress, simulator);
    }

    private void MarkStopping()
    {
        lock (_children)
        {
            foreach (var child in _children)
            {
                child.MarkStopping();
            }
        }
    }

    private async Task<SupervisedChild> StartChildAsync(ChildSpec spec, CancellationToken cancellationToken)
    {
        var child = new SupervisedChild(spec, _layout, OnLine, OnRestart, (name, pid) => Say($"restart: {name} is back (pid {pid})"));
        lock (_children)
        {
            _children.Add(child);
        }
        await child.StartAsync(s_startTimeout, cancellationToken).ConfigureAwait(false);
        return child;
    }

    private void OnLine(string child, string line) => _progress?.OnLine(child, line);

    private void OnRestart(ChildRestart restart)
    {
        _progress?.OnRestart(restart.Name);
        Say(string.Create(CultureInfo.InvariantCulture,
            $"restart: {restart.Name} exited unexpectedly (code {restart.ExitCode}); restarting in {restart.Backoff.TotalSeconds:0} s (restart {restart.Restart})"));
    }

    private async Task RunUntilStoppedAsync(DemoRun run, CancellationToken cancellationToken)
    {
        var withdrawAt = Stopwatch.GetTimestamp() + (long)(_settings.WithdrawAfter.TotalSeconds * Stopwatch.Frequency);
        var withdrawn = false;
        var finishedReported = false;
        using var timer = new PeriodicTimer(s_progressInterval);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!withdrawn && Stopwatch.GetTimestamp() >= withdrawAt)
            {
                await run.Cohort.WithdrawAsync(run.Server, cancellationToken).ConfigureAwait(false);
                withdrawn = true;
                Say($"consent withdrawn at {DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture)}: {run.Cohort.Withdrawing.Reference} (Consent/{run.Cohort.Withdrawing.TreatmentConsentId} is now inactive)");
            }
            if (!finishedReported && run.Simulator.Finished.IsCompleted)
            {
                finishedReported = true;
                Say(string.Create(CultureInfo.InvariantCulture, $"simulator finished: {_settings.Batches} batches per device"));
            }
            var figures = await run.Progress.ReadAsync(cancellationToken).ConfigureAwait(false);
            Say($"progress: {figures.Describe()}");
        }
    }

    private async Task StopAsync(DemoRun? run)
    {
        SupervisedChild[] children;
        lock (_children)
        {
            children = [.. _children];
        }
        // Producers first, so every batch already published can still drain; the stores last.
        await StopChildrenAsync(children, "simulate").ConfigureAwait(false);
        await StopChildrenAsync(children, "edge", "ingest", "analytics").ConfigureAwait(false);
        if (run is not null)
        {
            var figures = await run.Progress.ReadAsync(CancellationToken.None).ConfigureAwait(false);
            var restarts = string.Join(", ", children.Where(c => c.Restarts > 0).Select(c => $"{c.Name} {c.Restarts}"));
            Say($"summary: {figures.Describe()}; restarts: {(restarts.Length == 0 ? "none" : restarts)}");
        }
        await StopChildrenAsync(children, "serve").ConfigureAwait(false);
        await StopChildrenAsync(children, "mosquitto", "influxd").ConfigureAwait(false);
        await StopChildrenAsync(children, [.. children.Select(c => c.Name)]).ConfigureAwait(false);
        run?.Server.Dispose();
        _kafka?.Dispose();
        _kafka = null;
    }

    private static Task StopChildrenAsync(IEnumerable<SupervisedChild> children, params string[] names) =>
        Task.WhenAll(children.Where(c => names.Contains(c.Name, StringComparer.Ordinal)).Select(c => c.StopAsync(s_stopGrace)));

    private void Say(string line) => _output.WriteLine(line);

    public async ValueTask DisposeAsync()
    {
        foreach (var child in _children)
        {
            await child.DisposeAsync().ConfigureAwait(false);
        }
        _probe.Dispose();
        _kafka?.Dispose();
    }
}
