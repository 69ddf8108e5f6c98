using System.Diagnostics;
using System.Security.Cryptography.X509Certificates;

namespace PatientStream.Testing.Tests;

public sealed class MosquittoFixtureTests
{
    [Fact]
    public async Task Plain_broker_relays_a_message_between_real_clients_and_stops_without_leftovers()
    {
        int pid;
        await using (var broker = new MosquittoFixture())
        {
            await broker.InitializeAsync();
            pid = broker.Server.Pid;
            var received = await RoundTripAsync(broker.Port, extra: []);
            Assert.Equal("hello", received);
        }
        Assert.False(ServerProcess.Live.ContainsKey(pid));
        Assert.False(ProcessExists(pid));
    }

    [Fact]
    public async Task Tls_broker_accepts_a_certificate_from_its_ca_and_enforces_the_device_acl()
    {
        await using var broker = new MosquittoTlsFixture();
        await broker.InitializeAsync();
        using var device = broker.IssueClientCertificate("dev-1");
        var (cert, key) = TestPki.WritePem(device, broker.Folder, "dev-1");
        string[] tls = ["--cafile", broker.CaPemPath, "--cert", cert, "--key", key];

        var own = await RoundTripAsync(broker.TlsPort, tls, topic: "ps/v1/devices/dev-1/readings");
        Assert.Equal("hello", own);

        // The ACL lets dev-1 read and write only below its own topic: it never sees another device's topic.
        var foreign = await RoundTripAsync(broker.TlsPort, tls, topic: "ps/v1/devices/dev-2/readings", expectDelivery: false);
        Assert.Null(foreign);
    }

    [Fact]
    public async Task Tls_broker_refuses_a_certificate_from_an_unknown_ca()
    {
        await using var broker = new MosquittoTlsFixture();
        await broker.InitializeAsync();
        using var stranger = new TestPki("Stranger CA");
        using var device = stranger.IssueClient("dev-1");
        var (cert, key) = TestPki.WritePem(device, broker.Folder, "stranger");

        var exit = await RunAsync("mosquitto_pub", ["-h", "127.0.0.1", "-p", broker.TlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--cafile", broker.CaPemPath, "--cert", cert, "--key", key, "-t", "ps/v1/devices/dev-1/readings", "-m", "x", "-q", "1"]);
        Assert.NotEqual(0, exit);
    }

    private static async Task<string?> RoundTripAsync(int port, string[] extra, string topic = "fixture/check", bool expectDelivery = true)
    {
        var portText = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var sub = new ProcessStartInfo(RequiredBinary.Find("mosquitto_sub", "mosquitto-clients")) { RedirectStandardOutput = true, RedirectStandardError = true };
        // -W bounds the wait when no message may arrive; -C 1 returns as soon as one does.
        foreach (var a in (string[])["-h", "127.0.0.1", "-p", portText, "-t", topic, "-C", "1", "-q", "1", "-W", expectDelivery ? "30" : "3", "-v", .. extra])
        {
            sub.ArgumentList.Add(a);
        }
        using var subscriber = Process.Start(sub)!;
        // Wait for the subscription to be in place: mosquitto_sub prints nothing until then, so publish retained.
        var exit = await RunAsync("mosquitto_pub", ["-h", "127.0.0.1", "-p", portText, "-t", topic, "-m", "hello", "-q", "1", "-r", .. extra]);
        Assert.Equal(0, exit);
        var output = await subscriber.StandardOutput.ReadToEndAsync();
        await subscriber.WaitForExitAsync();
        var line = output.Trim();
        return line.Length == 0 ? null : line[(topic.Length + 1)..];
    }

    private static async Task<int> RunAsync(string tool, string[] args)
    {
        var info = new ProcessStartInfo(RequiredBinary.Find(tool, "mosquitto-clients")) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        using var process = Process.Start(info)!;
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    private static bool ProcessExists(int pid) => Directory.Exists($"/proc/{pid}");
}
