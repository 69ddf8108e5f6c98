using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using PatientStream.EdgeAgent.Simulation;
using PatientStream.Host.Commands;
using PatientStream.Mqtt;
using PatientStream.Testing;

namespace PatientStream.Host.Tests;

/// <summary>
/// A site as <c>simulate --ca</c> meets it: the real server (<c>serve</c>, in-process) trusting the simulated
/// manufacturer's root, and a real Mosquitto whose mTLS listener trusts the server's device CA and whose ACL lets a
/// device write only below its own topic. Tests isolate themselves by device prefix. Anonymous clients on the plain
/// listener may read the device topics (the watcher).
/// </summary>
public sealed class SimulateEnrollmentSite : IAsyncLifetime, IDisposable
{
    public const string Name = "simulate enrollment site";

    private readonly TempFolder _folder = new("simulate-enroll");
    private WebApplication? _server;

    internal ServerSettings Server { get; private set; } = null!;

    public MosquittoFixture Broker { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    /// <summary>The manufacturer folder whose root the server trusts.</summary>
    public string TrustedMaker => _folder.Combine("maker");

    public string Folder => _folder.Path;

    public async Task InitializeAsync()
    {
        using (var maker = SimulatedManufacturer.LoadOrCreate(TrustedMaker))
        {
            // What the demo does before it starts serve: the site trusts this maker.
            var roots = Directory.CreateDirectory(_folder.Combine("server", "manufacturer-roots")).FullName;
            await File.WriteAllTextAsync(Path.Combine(roots, "simulated.pem"), maker.RootCertificatePem);
        }
        Server = new ServerSettings(FreePort.Next(), _folder.Combine("server"), "sqlite", null);
        _server = ServerHost.Build(Server);
        await _server.StartAsync();
        Http = new HttpClient { BaseAddress = new Uri(Server.BaseUrl) };
        var deviceCa = _folder.Combine("device-ca.pem");
        await File.WriteAllTextAsync(deviceCa, await Http.GetStringAsync(new Uri("/attestation/v1/ca", UriKind.Relative)));
        Broker = new MosquittoFixture(new MosquittoOptions
        {
            Tls = true,
            ClientCaPemPath = deviceCa,
            Acl = "topic read ps/v1/devices/#\n" + MosquittoFixture.AclForDevices,
        });
        await Broker.InitializeAsync();
    }

    /// <summary>Settings of <c>simulate</c> against this site over mTLS.</summary>
    internal SimulateSettings Simulate(string prefix, int patients, int batches, string? maker = null) =>
        new(patients, $"{MosquittoFixture.Host}:{Broker.TlsPort}", null, 0, false, 20, batches)
        {
            DevicePrefix = prefix, Ca = Broker.CaPemPath, TlsName = "localhost", Attest = Server.BaseUrl + "/", Manufacturer = maker ?? TrustedMaker,
        };

    /// <summary>Simulator options for the same devices, for tests that drive <see cref="DeviceSimulator"/> directly.</summary>
    public SimulatorOptions Options(string prefix, int patients, int batches) => new()
    {
        Patients = patients,
        DevicePrefix = prefix,
        BrokerPort = Broker.TlsPort,
        BrokerCa = Broker.Pki.Ca,
        BrokerTlsName = "localhost",
        Interval = TimeSpan.FromMilliseconds(20),
        BatchesPerDevice = batches,
        DeterioratingShare = 0,
    };

    public AttestationEnrollment Enrollment(SimulatedManufacturer maker, int concurrency = 8) =>
        new(new AttestationEnrollmentOptions { Server = new Uri(Server.BaseUrl), MaxConcurrency = concurrency }, maker);

    /// <summary>A clinician binds each device to a patient (enrollment requires it).</summary>
    public async Task BindAsync(IEnumerable<string> deviceIds)
    {
        foreach (var id in deviceIds)
        {
            using var response = await Http.PutAsJsonAsync(new Uri($"/consent/v1/devices/{id}/binding", UriKind.Relative),
                new { patient = $"Patient/p-{id}", clinician = "Practitioner/dr-enroll" });
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        }
    }

    /// <summary>Operational certificates issued per device, as the server's AuditEvents record them.</summary>
    public async Task<Dictionary<string, int>> IssuedCertificatesAsync(string prefix)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var next = $"/fhir/AuditEvent?subtype=certificate-issued&_count=1000";
        while (next is not null)
        {
            using var bundle = JsonDocument.Parse(await Http.GetStringAsync(new Uri(next, UriKind.RelativeOrAbsolute)));
            foreach (var entry in bundle.RootElement.TryGetProperty("entry", out var entries) ? entries.EnumerateArray() : default)
            {
                var resource = entry.GetProperty("resource");
                Assert.Equal("certificate-issued", resource.GetProperty("subtype")[0].GetProperty("code").GetString());
                var device = resource.GetProperty("entity")[0].GetProperty("what").GetProperty("identifier").GetProperty("value").GetString()!;
                if (device.StartsWith(prefix + "-", StringComparison.Ordinal))
                {
                    counts[device] = counts.GetValueOrDefault(device) + 1;
                }
            }
            next = bundle.RootElement.GetProperty("link").EnumerateArray()
                .Where(l => l.GetProperty("relation").GetString() == "next").Select(l => l.GetProperty("url").GetString()).FirstOrDefault();
        }
        return counts;
    }

    /// <summary>An anonymous reader of every device's readings on the broker's plain listener.</summary>
    public async Task<MqttClient> WatchAsync(int capacity)
    {
        var client = new MqttClient(new MqttClientOptions
        {
            Port = Broker.Port, ClientId = "watch-" + Guid.NewGuid().ToString("N")[..8], ReceiveBufferCapacity = capacity,
        });
        Assert.True((await client.ConnectAsync(CancellationToken.None)).IsSuccess);
        Assert.True((await client.SubscribeAsync("ps/v1/devices/+/readings")).IsSuccess);
        return client;
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (Broker is not null)
        {
            await Broker.DisposeAsync();
        }
        if (_server is not null)
        {
            await _server.StopAsync();
            await _server.DisposeAsync();
        }
        Dispose();
    }

    public void Dispose() => _folder.Dispose();
}

/// <summary>One site for every enrollment test class: they run one after the other on it.</summary>
[CollectionDefinition(SimulateEnrollmentSite.Name)]
public sealed class SimulateEnrollmentSites : ICollectionFixture<SimulateEnrollmentSite>;
