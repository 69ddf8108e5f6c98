using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using PatientStream.EdgeAgent.Simulation;
using PatientStream.Host.Commands;
using PatientStream.Kafka.Contracts;
using PatientStream.Mqtt;
using PatientStream.Testing;

namespace PatientStream.Host.Tests;

[Collection(PipelineServers.Name)]
public sealed class SimulateCommandTests(PlainMosquitto mosquitto)
{
    [Fact]
    public async Task Simulate_publishes_every_batch_of_every_patient_and_reports_the_totals()
    {
        var settings = new SimulateSettings(Patients: 3, Broker: $"{MosquittoFixture.Host}:{mosquitto.Port}", Faults: null, Duration: 0, Ecg: true,
            IntervalMs: 10, Batches: 4);
        Assert.Empty(settings.Problems());
        var output = new StringWriter();

        var exit = await SimulateCommand.RunAsync(settings, output, CancellationToken.None).WaitAsync(PipelineServers.Deadline);

        Assert.Equal(0, exit);
        Assert.Contains("simulated 3 patient(s): published 12, refused 0, connections 3, faults []", output.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_stops_cleanly_when_cancelled()
    {
        var settings = new SimulateSettings(2, $"{MosquittoFixture.Host}:{mosquitto.Port}", "duplicates", 0, false, 10, 0);
        using var stop = new CancellationTokenSource();
        await stop.CancelAsync();
        var output = new StringWriter();

        Assert.Equal(0, await SimulateCommand.RunAsync(settings, output, stop.Token).WaitAsync(PipelineServers.Deadline));
        Assert.Contains("simulated 2 patient(s)", output.ToString(), StringComparison.Ordinal);
    }
}

/// <summary><c>simulate --ca</c> against the real server and a real Mosquitto with mTLS and the device ACL.</summary>
[Collection(SimulateEnrollmentSite.Name)]
public sealed class SimulateOverMutualTlsTests(SimulateEnrollmentSite site)
{
    private static async Task<List<DeviceBatch>> ReadBatchesAsync(MqttClient watch, int count)
    {
        using var deadline = new CancellationTokenSource(PipelineServers.Deadline);
        var batches = new List<DeviceBatch>(count);
        while (batches.Count < count)
        {
            var message = await watch.Messages.ReadAsync(deadline.Token);
            Assert.True(ContractsJson.TryParse(message.Payload.Span, out DeviceBatch? batch, out var error), error);
            Assert.Equal($"ps/v1/devices/{batch!.Device}/readings", message.Topic);
            batches.Add(batch);
        }
        return batches;
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Devices_enroll_through_attestation_connect_with_their_own_certificate_and_their_readings_arrive()
    {
        var settings = site.Simulate("att", patients: 4, batches: 3) with { StatusInterval = 0.05 };
        await site.BindAsync(settings.DeviceIds);
        await using var watch = await site.WatchAsync(100);
        var output = new StringWriter();

        var exit = await SimulateCommand.RunAsync(settings, output, CancellationToken.None).WaitAsync(PipelineServers.Deadline);

        Assert.True(exit == 0, output.ToString());
        var text = output.ToString();
        Assert.Contains("published 12, refused 0, connections 4, faults [], enrolled 4 (new 4, reused 0), failed 0", text, StringComparison.Ordinal);
        Assert.Contains("STATUS published=12 enrolled=4 connected=0 failed=0", text, StringComparison.Ordinal);
        var batches = await ReadBatchesAsync(watch, 12);
        Assert.Equal(settings.DeviceIds.SelectMany(d => new[] { (d, 1L), (d, 2L), (d, 3L) }).Order(),
            batches.Select(b => (b.Device, b.Seq)).Order());
        foreach (var id in settings.DeviceIds)
        {
            var key = Path.Combine(site.TrustedMaker, "devices", id, "device.key.pem");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
            using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(site.TrustedMaker, "devices", id, "device.crt.pem")));
            Assert.Equal(id, certificate.GetNameInfo(X509NameType.SimpleName, false));
        }
    }

    [Fact]
    public async Task A_restarted_simulator_reuses_the_stored_certificates_without_enrolling_again()
    {
        var settings = site.Simulate("again", patients: 3, batches: 1);
        await site.BindAsync(settings.DeviceIds);
        var first = new StringWriter();
        Assert.Equal(0, await SimulateCommand.RunAsync(settings, first, CancellationToken.None).WaitAsync(PipelineServers.Deadline));
        Assert.Contains("enrolled 3 (new 3, reused 0), failed 0", first.ToString(), StringComparison.Ordinal);
        var issuedBefore = await site.IssuedCertificatesAsync("again");
        Assert.Equal(settings.DeviceIds.Order(), issuedBefore.Keys.Order());
        Assert.All(issuedBefore.Values, n => Assert.Equal(1, n));

        var second = new StringWriter();
        Assert.Equal(0, await SimulateCommand.RunAsync(settings, second, CancellationToken.None).WaitAsync(PipelineServers.Deadline));

        Assert.Contains("published 3, refused 0, connections 3, faults [], enrolled 3 (new 0, reused 3), failed 0", second.ToString(), StringComparison.Ordinal);
        Assert.Equal(issuedBefore, await site.IssuedCertificatesAsync("again"));
    }

    [Fact]
    public async Task The_command_line_enrolls_the_devices_and_runs_them_over_mutual_TLS()
    {
        var settings = site.Simulate("cli", patients: 2, batches: 2);
        await site.BindAsync(settings.DeviceIds);
        await using var watch = await site.WatchAsync(100);
        var root = new System.CommandLine.RootCommand { SimulateCommand.Create() };
        string[] args =
        [
            "simulate", "--patients", "2", "--broker", settings.Broker, "--device-prefix", "cli", "--batches", "2", "--interval-ms", "20",
            "--ca", settings.Ca!, "--tls-name", "localhost", "--attest", settings.Attest!, "--manufacturer", settings.Manufacturer!,
            "--deteriorating", "cli-0001", "--deterioration-seconds", "30", "--status-interval", "1",
        ];

        Assert.Equal(0, await root.Parse(args).InvokeAsync().WaitAsync(PipelineServers.Deadline));

        var batches = await ReadBatchesAsync(watch, 4);
        Assert.Equal(["cli-0000", "cli-0000", "cli-0001", "cli-0001"], batches.Select(b => b.Device).Order());
        Assert.Equal(new Dictionary<string, int> { ["cli-0000"] = 1, ["cli-0001"] = 1 }, await site.IssuedCertificatesAsync("cli"));
    }

    [Fact]
    public async Task A_device_of_an_untrusted_manufacturer_is_refused_enrollment_and_cannot_connect()
    {
        var untrusted = Path.Combine(site.Folder, "unknown-maker");
        var settings = site.Simulate("rogue", patients: 2, batches: 1, maker: untrusted);
        await site.BindAsync(settings.DeviceIds);
        using var maker = SimulatedManufacturer.LoadOrCreate(untrusted);
        using var enrollment = site.Enrollment(maker);

        var refused = await Assert.ThrowsAsync<DeviceEnrollmentException>(() => enrollment.EnrollAsync("rogue-0000", CancellationToken.None));

        Assert.Equal(("unknown-ca", 401), (refused.Code, refused.StatusCode));
        Assert.False(refused.IsTransient);
        Assert.Equal(new EnrollmentStats(0, 0, 1), enrollment.Stats);
        Assert.False(Directory.Exists(Path.Combine(untrusted, "devices", "rogue-0000")));

        var output = new StringWriter();
        Assert.Equal(1, await SimulateCommand.RunAsync(settings, output, CancellationToken.None).WaitAsync(PipelineServers.Deadline));
        Assert.Contains("published 0, refused 0, connections 0, faults [], enrolled 0 (new 0, reused 0), failed 2", output.ToString(), StringComparison.Ordinal);

        // Its manufacturer certificate is no key to the broker either: only the site's device CA is.
        using var birth = maker.IssueDeviceCertificate("rogue-0001");
        using var withKey = X509Certificate2.CreateFromPem(birth.CertificatePem).CopyWithPrivateKey(birth.Key);
        await using var client = new MqttClient(new MqttClientOptions
        {
            Port = site.Broker.TlsPort, ClientId = "rogue-0001",
            Tls = new MqttTlsOptions { TrustedCa = site.Broker.Pki.Ca, ClientCertificate = withKey, TargetHost = "localhost" },
        });
        var refusedByBroker = await Assert.ThrowsAsync<MqttConnectionException>(() => client.ConnectAsync(CancellationToken.None));
        Assert.Contains(refusedByBroker.Error, new[] { MqttConnectionError.TlsFailed, MqttConnectionError.TransportFailed, MqttConnectionError.ConnectionLost });
    }

    [Fact]
    public async Task Refusals_carry_the_servers_code_and_only_an_unreachable_server_is_retried()
    {
        using var maker = SimulatedManufacturer.LoadOrCreate(site.TrustedMaker);
        using var enrollment = site.Enrollment(maker);

        var unbound = await Assert.ThrowsAsync<DeviceEnrollmentException>(() => enrollment.EnrollAsync("unbound-0000", CancellationToken.None));

        Assert.Equal(("unbound-0000", "device-not-bound", 403, false), (unbound.DeviceId, unbound.Code, unbound.StatusCode, unbound.IsTransient));
        using var nowhere = new AttestationEnrollment(
            new AttestationEnrollmentOptions { Server = new Uri($"http://127.0.0.1:{FreePort.Next()}/"), MaxAttempts = 1 }, maker);
        var unreachable = await Assert.ThrowsAsync<DeviceEnrollmentException>(() => nowhere.EnrollAsync("unbound-0000", CancellationToken.None));
        Assert.Equal((DeviceEnrollmentException.Unreachable, (int?)null, true), (unreachable.Code, unreachable.StatusCode, unreachable.IsTransient));
    }

    [Fact]
    public async Task A_device_publishing_on_another_devices_topic_is_refused_by_the_broker_ACL()
    {
        var options = site.Options("spoof", patients: 3, batches: 3) with { Faults = SimulatorFaults.SpoofedTopic, FaultRate = 1 };
        var ids = Enumerable.Range(0, 3).Select(i => $"spoof-{i:D4}").ToList();
        await site.BindAsync(ids);
        await using var watch = await site.WatchAsync(100);
        using var maker = SimulatedManufacturer.LoadOrCreate(site.TrustedMaker);
        using var enrollment = site.Enrollment(maker);
        var simulator = new DeviceSimulator(options, enrollment);

        await simulator.RunAsync(CancellationToken.None).WaitAsync(PipelineServers.Deadline);

        var stats = simulator.Stats;
        Assert.Equal((9L, 9L, 9L, 3L, 0L), (stats.Faults["spoofed-topic"], stats.Published, stats.Refused, stats.Enrolled, stats.Failed));
        // Every batch that reached the broker came from the device its topic names.
        var batches = await ReadBatchesAsync(watch, 9);
        Assert.Equal(ids.SelectMany(d => new[] { (d, 1L), (d, 2L), (d, 3L) }).Order(), batches.Select(b => (b.Device, b.Seq)).Order());
    }
}

/// <summary>Many devices at once: each enrolls, holds its own mTLS connection and delivers every batch.</summary>
[Collection(SimulateEnrollmentSite.Name)]
public sealed class SimulateManyDevicesTests(SimulateEnrollmentSite site)
{
    private const int Devices = 300;
    private const int Batches = 3;

    [Fact]
    public async Task Hundreds_of_devices_enroll_connect_over_mutual_TLS_and_deliver_every_batch()
    {
        var settings = site.Simulate("many", Devices, Batches) with { IntervalMs = 500, EnrollConcurrency = 8 };
        await site.BindAsync(settings.DeviceIds);
        await using var watch = await site.WatchAsync(Devices * Batches);
        var output = new StringWriter();

        var exit = await SimulateCommand.RunAsync(settings, output, CancellationToken.None).WaitAsync(PipelineServers.Deadline);

        Assert.True(exit == 0, output.ToString());
        Assert.Contains($"published {Devices * Batches}, refused 0, connections {Devices}, faults [], enrolled {Devices} (new {Devices}, reused 0), failed 0",
            output.ToString(), StringComparison.Ordinal);
        using var deadline = new CancellationTokenSource(PipelineServers.Deadline);
        var received = new HashSet<(string, long)>();
        while (received.Count < Devices * Batches)
        {
            var message = await watch.Messages.ReadAsync(deadline.Token);
            Assert.True(ContractsJson.TryParse(message.Payload.Span, out DeviceBatch? batch, out var error), error);
            Assert.Equal($"ps/v1/devices/{batch!.Device}/readings", message.Topic);
            Assert.True(received.Add((batch.Device, batch.Seq)), $"{batch.Device} seq {batch.Seq} twice");
        }
        Assert.Equal(settings.DeviceIds.Order(), received.Select(r => r.Item1).Distinct().Order());
    }
}

public sealed class SimulateSettingsTests
{
    private static SimulateSettings Plain => new(4, "127.0.0.1:1883", null, 0, false, 1000, 0);

    [Fact]
    public void Plain_MQTT_needs_no_TLS_flags_and_TLS_needs_the_attestation_server_and_the_manufacturer()
    {
        Assert.Empty(Plain.Problems());
        Assert.Contains((Plain with { Attest = "http://127.0.0.1:8080/" }).Problems(), p => p.Contains("need --ca", StringComparison.Ordinal));

        var problems = (Plain with { Ca = "/nonexistent/ca.pem" }).Problems().ToList();

        Assert.Contains(problems, p => p.Contains("--ca /nonexistent/ca.pem: no such file", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("--ca needs --attest", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("--ca needs --manufacturer", StringComparison.Ordinal));
    }

    [Fact]
    public void Deteriorating_devices_must_be_simulated_ones_and_become_the_only_deteriorating_patients()
    {
        Assert.Contains((Plain with { Deteriorating = "sim-0003,sim-0004" }).Problems(), p => p.Contains("'sim-0004' is not one of the simulated devices", StringComparison.Ordinal));
        Assert.Contains((Plain with { DeteriorationSeconds = 0 }).Problems(), p => p.Contains("--deterioration-seconds", StringComparison.Ordinal));
        Assert.Contains((Plain with { StatusInterval = -1 }).Problems(), p => p.Contains("--status-interval", StringComparison.Ordinal));

        var options = (Plain with { Deteriorating = " sim-0001, sim-0003 ", DeteriorationSeconds = 90, DeteriorationOnsetSeconds = 2 }).Options();

        Assert.Equal(["sim-0001", "sim-0003"], options.DeterioratingDevices!.Order());
        Assert.Equal((TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(2)), (options.DeteriorationDuration, options.DeteriorationOnset!.Value));
    }
}

/// <summary>When <see cref="AttestationEnrollment"/> replaces a stored certificate instead of reusing it.</summary>
[Collection(SimulateEnrollmentSite.Name)]
public sealed class AttestationEnrollmentRenewalTests(SimulateEnrollmentSite site)
{
    /// <summary>The real clock moved on by a fixed span, as a simulator restarted hours later sees it.</summary>
    private sealed class LaterClock(TimeSpan ahead) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + ahead;
    }

    [Fact]
    public async Task A_certificate_close_to_expiry_is_replaced_by_a_new_enrollment()
    {
        await site.BindAsync(["renew-0000"]);
        using var maker = SimulatedManufacturer.LoadOrCreate(site.TrustedMaker);
        var options = new AttestationEnrollmentOptions { Server = new Uri(site.Server.BaseUrl), RenewBefore = TimeSpan.FromHours(2) };
        string firstSerial;
        using (var today = new AttestationEnrollment(options, maker))
        {
            firstSerial = (await today.EnrollAsync("renew-0000", CancellationToken.None)).SerialNumber;
        }

        // 23 h later the 24 h certificate has 1 h left, less than RenewBefore.
        using var later = new AttestationEnrollment(options, maker, time: new LaterClock(TimeSpan.FromHours(23)));
        var renewed = await later.EnrollAsync("renew-0000", CancellationToken.None);

        Assert.NotEqual(firstSerial, renewed.SerialNumber);
        Assert.Equal(new EnrollmentStats(1, 0, 0), later.Stats);
        Assert.Equal(new Dictionary<string, int> { ["renew-0000"] = 2 }, await site.IssuedCertificatesAsync("renew"));
        using var stored = X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(site.TrustedMaker, "devices", "renew-0000", "device.crt.pem")));
        Assert.Equal(renewed.SerialNumber, stored.SerialNumber);
    }

    [Fact]
    public async Task A_certificate_from_another_sites_device_CA_is_replaced_by_enrolling_at_this_site()
    {
        await site.BindAsync(["moved-0000"]);
        using var maker = SimulatedManufacturer.LoadOrCreate(site.TrustedMaker);
        using var otherSite = new TempFolder("other-site");
        Directory.CreateDirectory(otherSite.Combine("manufacturer-roots"));
        await File.WriteAllTextAsync(otherSite.Combine("manufacturer-roots", "simulated.pem"), maker.RootCertificatePem);
        var other = new ServerSettings(FreePort.Next(), otherSite.Path, "sqlite", null);
        await using (var server = ServerHost.Build(other))
        {
            await server.StartAsync();
            using var http = new HttpClient { BaseAddress = new Uri(other.BaseUrl) };
            using (var bound = await http.PutAsJsonAsync(new Uri("/consent/v1/devices/moved-0000/binding", UriKind.Relative),
                new { patient = "Patient/p-moved", clinician = "Practitioner/dr-other" }))
            {
                Assert.True(bound.IsSuccessStatusCode);
            }
            using var there = new AttestationEnrollment(new AttestationEnrollmentOptions { Server = new Uri(other.BaseUrl) }, maker);
            await there.EnrollAsync("moved-0000", CancellationToken.None);
            await server.StopAsync();
        }

        using var here = site.Enrollment(maker);
        var certificate = await here.EnrollAsync("moved-0000", CancellationToken.None);

        Assert.Equal(new EnrollmentStats(1, 0, 0), here.Stats);
        Assert.Equal(new Dictionary<string, int> { ["moved-0000"] = 1 }, await site.IssuedCertificatesAsync("moved"));
        using var siteCa = X509Certificate2.CreateFromPem(await site.Http.GetStringAsync(new Uri("/attestation/v1/ca", UriKind.Relative)));
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(siteCa);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        Assert.True(chain.Build(certificate));
    }
}
