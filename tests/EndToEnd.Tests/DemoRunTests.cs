using Xunit.Abstractions;
using System.Globalization;
using System.Text.Json;
using PatientStream.Testing;

namespace PatientStream.EndToEnd.Tests;

/// <summary>
/// The whole wiring as a user runs it: <c>patientstream demo</c> as a process with Mosquitto (mTLS, ACL), InfluxDB,
/// the Kafka mock, serve, edge, ingest, analytics and a finite simulator run, so the expected counts are exact.
/// The edge agent and ingest are each killed with SIGKILL once mid-run; the demo restarts them and nothing is lost
/// or duplicated.
/// </summary>
public sealed class DemoRunTests(ITestOutputHelper log)
{
    private const int Patients = 5;
    private const int Batches = 160;
    private static readonly TimeSpan s_start = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan s_step = TimeSpan.FromMinutes(2);

    // The simulated wearable measures heart rate, SpO2 and respiratory rate every tick, temperature and blood pressure
    // on ticks 1, 31, 61, ... and weight and steps on ticks 1, 61, 121, ... (SimulatedDevice). Ingest's default mapping
    // adds the mean arterial pressure calculated from each blood pressure. In FHIR blood pressure is one panel
    // Observation and steps are summed per hour (one summary Observation per UTC hour the run touches, so they are
    // counted apart); in InfluxDB every sample, systolic and diastolic included, is a point.
    private static int ExpectedObservations(int batches) =>
        Enumerable.Range(1, batches).Sum(t => 3 + (t % 30 == 1 ? 3 : 0) + (t % 60 == 1 ? 1 : 0));

    private static int ExpectedPoints(int batches) =>
        Enumerable.Range(1, batches).Sum(t => 3 + (t % 30 == 1 ? 4 : 0) + (t % 60 == 1 ? 2 : 0));

    private const string Steps = "http://loinc.org|55423-8";

    // Device Observations carry the device; the clinic's (merged from the EHR record) do not.
    private const string DeviceData = "device:missing=false&code:not=" + Steps;

    private static string PatientId(int index) => $"demo-patient-{index:D4}";

    private static string DeviceId(int index) => $"demo-{index:D4}";

    [Fact]
    public async Task Demo_delivers_every_consented_reading_exactly_once_across_agent_and_ingest_crashes_and_stops_leaving_no_process()
    {
        using var data = new TempFolder("e2e-demo");
        await using var demo = DemoProcess.Start(data.Combine("demo"),
            "--port", FreePort.Next().ToString(CultureInfo.InvariantCulture), "--patients", Patients.ToString(CultureInfo.InvariantCulture),
            "--batches", Batches.ToString(CultureInfo.InvariantCulture), "--interval-ms", "250", "--withdraw-after", "20",
            "--deterioration-seconds", "15", "--duration", "900");

        var ready = await demo.WaitForLineAsync("READY fhir=", s_start);
        var influx = DemoApis.InfluxFrom(await demo.WaitForLineAsync("influxdb: http", s_start));
        using var apis = new DemoApis(new Uri(ready["READY fhir=".Length..]), influx);

        // Crash the edge agent once batches flow through it, then ingest once Observations are being written.
        await demo.WaitForLineAsync(l => l.StartsWith("progress:", StringComparison.Ordinal) && DemoApis.Number(l, "forwarded ") > 0, s_step, "batches forwarded");
        ServerProcess.SendSignal(demo.ChildPid("edge"), Signals.Kill);
        await demo.WaitForLineAsync("restart: edge is back", s_step);
        await demo.WaitForLineAsync(l => l.StartsWith("progress:", StringComparison.Ordinal) && DemoApis.Number(l, "Observations ") > 0, s_step, "Observations written");
        ServerProcess.SendSignal(demo.ChildPid("ingest"), Signals.Kill);
        await demo.WaitForLineAsync("restart: ingest is back", s_step);

        var withdrawnLine = await demo.WaitForLineAsync("consent withdrawn at ", s_step);
        var withdrawnAt = DateTimeOffset.Parse(withdrawnLine["consent withdrawn at ".Length..withdrawnLine.IndexOf(": ", StringComparison.Ordinal)], CultureInfo.InvariantCulture);
        await demo.WaitForLineAsync("simulator finished", s_step);

        // Consenting patients (0: deteriorating, 3, 4): every reading, once, in FHIR and in InfluxDB.
        int[] consenting = [0, 3, 4];
        foreach (var index in consenting)
        {
            await Eventually(async () => await apis.CountAsync("Observation", $"subject=Patient/{PatientId(index)}&{DeviceData}") >= ExpectedObservations(Batches),
                $"Observations of {PatientId(index)}", demo);
            await Eventually(async () => await apis.InfluxPointsAsync(DeviceId(index)) >= ExpectedPoints(Batches), $"InfluxDB points of {DeviceId(index)}", demo);
        }
        foreach (var index in consenting)
        {
            Assert.Equal(ExpectedObservations(Batches), await apis.CountAsync("Observation", $"subject=Patient/{PatientId(index)}&{DeviceData}"));
            Assert.Equal(ExpectedPoints(Batches), await apis.InfluxPointsAsync(DeviceId(index)));
        }

        // Steps: hourly sums, one summary Observation per hour window.
        foreach (var index in consenting)
        {
            var summaries = await apis.SearchAsync("Observation", $"subject=Patient/{PatientId(index)}&code={Steps}");
            Assert.InRange(summaries.Count, 1, 2);
            Assert.All(summaries, s => Assert.True(s.TryGetProperty("effectivePeriod", out _), "a steps Observation without its hour window"));
        }

        // UCUM quantities on device Observations.
        var heartRates = await apis.SearchAsync("Observation", $"subject=Patient/{PatientId(3)}&code=http://loinc.org|8867-4&_count=5");
        Assert.NotEmpty(heartRates);
        foreach (var observation in heartRates)
        {
            var quantity = observation.GetProperty("valueQuantity");
            Assert.Equal("http://unitsofmeasure.org", quantity.GetProperty("system").GetString());
            Assert.Equal("/min", quantity.GetProperty("code").GetString());
            Assert.Equal($"Device/{DeviceId(3)}", observation.GetProperty("device").GetProperty("reference").GetString());
        }

        // No consent: nothing leaves the edge.
        Assert.Equal(0, await apis.CountAsync("Observation", $"subject=Patient/{PatientId(1)}&device:missing=false"));
        Assert.Equal(0, await apis.InfluxPointsAsync(DeviceId(1)));

        // Withdrawal: data before it arrived, data after it (plus the change-feed interval) did not.
        var withdrawing = await apis.SearchAsync("Observation", $"subject=Patient/{PatientId(2)}&{DeviceData}");
        Assert.NotEmpty(withdrawing);
        Assert.True(withdrawing.Count < ExpectedObservations(Batches), $"{withdrawing.Count} Observations of the withdrawing patient");
        var latest = withdrawing.Max(EffectiveTime);
        Assert.True(latest <= withdrawnAt.AddSeconds(15), $"an Observation at {latest:O} after the withdrawal at {withdrawnAt:O}");

        // The deteriorating patient reaches a high NEWS2 band and raises an alert.
        await Eventually(async () => (await apis.SearchAsync("RiskAssessment", $"subject=Patient/{PatientId(0)}")).Any(IsHighRisk),
            "a high-band RiskAssessment", demo);
        Assert.True(await apis.CountAsync("Flag", $"subject=Patient/{PatientId(0)}") > 0, "no alert Flag for the deteriorating patient");

        // The EHR record of every patient, consenting or not, merged onto the Patient the device is bound to.
        for (var index = 0; index < Patients; index++)
        {
            var patient = $"Patient/{PatientId(index)}";
            await Eventually(async () => await apis.CountAsync("Condition", $"subject={patient}") == 1, $"the EHR Condition of {patient}", demo);
            Assert.Equal(1, await apis.CountAsync("Encounter", $"subject={patient}"));
            Assert.Equal(1, await apis.CountAsync("Observation", $"subject={patient}&device:missing=true"));
        }

        // The records around the data.
        var patients = await apis.SearchAsync("Patient", "identifier=urn:patientstream:mrn|");
        Assert.Equal(Patients, patients.Count);
        Assert.Equal(Patients, await apis.CountAsync("Device", "identifier=urn:patientstream:device-id|"));
        Assert.Equal(2 * (Patients - 1), await apis.CountAsync("Consent"));
        Assert.True(await apis.CountAsync("AuditEvent") > 0, "no AuditEvent");

        // Stopping: SIGTERM, a clean exit, and no child left.
        // 143: the command line reports the SIGTERM it was stopped by, after the demo stopped its children.
        var exit = await demo.StopAsync(s_step);
        Assert.True(exit is 0 or 143, $"exit code {exit}");
        Assert.Contains("stopped cleanly", demo.Output, StringComparison.Ordinal);
        Assert.Empty(demo.ProcessesUsingDataDirectory());
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(demo.DataDirectory, "pids")));
        log.WriteLine(demo.Output);
    }

    private static DateTimeOffset EffectiveTime(JsonElement observation) =>
        observation.TryGetProperty("effectiveDateTime", out var at)
            ? DateTimeOffset.Parse(at.GetString()!, CultureInfo.InvariantCulture)
            : DateTimeOffset.Parse(observation.GetProperty("effectivePeriod").GetProperty("end").GetString()!, CultureInfo.InvariantCulture);

    private static bool IsHighRisk(JsonElement risk) =>
        risk.TryGetProperty("prediction", out var predictions) && predictions.EnumerateArray().Any(p =>
            p.TryGetProperty("qualitativeRisk", out var band) && band.GetProperty("coding").EnumerateArray().Any(c => c.GetProperty("code").GetString() == "high"));

    /// <summary>Polls a condition of the running system (no signal exists for "ingest has caught up") with an overall deadline.</summary>
    private static async Task Eventually(Func<Task<bool>> condition, string what, DemoProcess demo)
    {
        using var deadline = new CancellationTokenSource(s_step);
        while (!await condition())
        {
            if (deadline.IsCancellationRequested)
            {
                Assert.Fail($"{what}: not reached within {s_step.TotalSeconds:0} s\n{demo.Output}");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(500), CancellationToken.None);
        }
    }
}
