using PatientStream.Mqtt.Packets;
using PatientStream.Testing;

namespace PatientStream.Mqtt.Tests.Client;

public sealed class AclTests(AclBroker broker) : IClassFixture<AclBroker>
{
    public static TheoryData<MqttProtocolVersion> Versions => new() { MqttProtocolVersion.V311, MqttProtocolVersion.V500 };

    private MqttClientOptions Device(MqttProtocolVersion version, string password = "dev-1-secret") =>
        Clients.Options(broker, version) with { UserName = "dev-1", Password = Clients.Bytes(password) };

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Wrong_password_is_a_refused_connect_result(MqttProtocolVersion version)
    {
        await using var client = new MqttClient(Device(version, password: "wrong"));

        var result = await client.ConnectAsync();

        Assert.False(result.IsSuccess);
        Assert.Contains(result.ReasonCode, new[] { MqttReasonCode.BadUserNameOrPassword, MqttReasonCode.NotAuthorized });
        Assert.False(client.IsConnected);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Acl_keeps_another_devices_topic_from_a_subscribed_device(MqttProtocolVersion version)
    {
        // Mosquitto's ACL file grants the SUBSCRIBE and filters on delivery, so the proof is what arrives.
        await using var device = await Clients.ConnectAsync(Device(version));
        var result = await device.SubscribeAsync(
        [
            new MqttSubscription("ps/v1/devices/dev-2/commands"),
            new MqttSubscription("ps/v1/devices/dev-1/commands"),
        ]);
        Assert.Equal(2, result.Items.Count);
        await using var edge = await Clients.ConnectAsync(Clients.Options(broker, version) with
        {
            UserName = "edge",
            Password = Clients.Bytes("edge-secret"),
        });

        await edge.PublishAsync("ps/v1/devices/dev-2/commands", Clients.Bytes("for-dev-2"));
        await edge.PublishAsync("ps/v1/devices/dev-1/commands", Clients.Bytes("for-dev-1"));

        var message = await device.ReceiveAsync();
        Assert.Equal("for-dev-1", message.Text());
        Assert.Equal("ps/v1/devices/dev-1/commands", message.Topic);
    }

    [Fact]
    public async Task Mqtt5_publication_denied_by_the_acl_is_a_not_authorized_result()
    {
        await using var device = await Clients.ConnectAsync(Device(MqttProtocolVersion.V500));

        var denied = await device.PublishAsync("ps/v1/devices/dev-2/readings", Clients.Bytes("{}"));
        var allowed = await device.PublishAsync("ps/v1/devices/dev-1/readings", Clients.Bytes("{}"));

        Assert.False(denied.IsSuccess);
        Assert.Equal(MqttReasonCode.NotAuthorized, denied.ReasonCode);
        Assert.True(allowed.IsSuccess);
    }

    [Fact]
    public async Task Mqtt311_publication_denied_by_the_acl_never_reaches_subscribers()
    {
        // MQTT 3.1.1 has no way to report a denied PUBLISH: the broker acknowledges and drops it.
        await using var edge = await Clients.ConnectAsync(Clients.Options(broker, MqttProtocolVersion.V311) with
        {
            UserName = "edge",
            Password = Clients.Bytes("edge-secret"),
        });
        await edge.SubscribeAsync("ps/v1/devices/+/readings");
        await using var device = await Clients.ConnectAsync(Device(MqttProtocolVersion.V311));

        await device.PublishAsync("ps/v1/devices/dev-2/readings", Clients.Bytes("forged"));
        await device.PublishAsync("ps/v1/devices/dev-1/readings", Clients.Bytes("own"));

        Assert.Equal("own", (await edge.ReceiveAsync()).Text());
    }
}

public sealed class TlsTests(MosquittoTlsFixture broker) : IClassFixture<MosquittoTlsFixture>
{
    public static TheoryData<MqttProtocolVersion> Versions => new() { MqttProtocolVersion.V311, MqttProtocolVersion.V500 };

    private MqttClientOptions Device(MqttProtocolVersion version, MqttTlsOptions tls) => Clients.Options(broker, version) with
    {
        Port = broker.TlsPort,
        Tls = tls,
        AutoReconnect = false,
    };

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Device_with_a_certificate_from_the_ca_publishes_and_receives_over_tls(MqttProtocolVersion version)
    {
        using var certificate = broker.IssueClientCertificate("dev-1");
        await using var device = await Clients.ConnectAsync(Device(version, new MqttTlsOptions
        {
            ClientCertificate = certificate,
            TrustedCa = broker.Pki.Ca,
            TargetHost = "localhost",
        }));
        await device.SubscribeAsync("ps/v1/devices/dev-1/commands");

        var published = await device.PublishAsync("ps/v1/devices/dev-1/commands", Clients.Bytes("calibrate"));

        Assert.True(published.IsSuccess);
        Assert.Equal("calibrate", (await device.ReceiveAsync()).Text());
    }

    [Fact]
    public async Task Certificate_from_an_unknown_ca_is_refused()
    {
        using var stranger = new TestPki("Stranger CA");
        using var certificate = stranger.IssueClient("dev-1");
        await using var device = new MqttClient(Device(MqttProtocolVersion.V311, new MqttTlsOptions
        {
            ClientCertificate = certificate,
            TrustedCa = broker.Pki.Ca,
            TargetHost = "localhost",
        }));

        var error = await Assert.ThrowsAsync<MqttConnectionException>(() => device.ConnectAsync());

        // Under TLS 1.3 the client learns of the refusal after its side of the handshake, when reading CONNACK.
        Assert.Contains(error.Error, new[] { MqttConnectionError.TlsFailed, MqttConnectionError.TransportFailed });
        Assert.False(device.IsConnected);
    }

    [Fact]
    public async Task Server_certificate_for_another_name_is_refused_by_hostname_verification()
    {
        using var certificate = broker.IssueClientCertificate("dev-1");
        await using var device = new MqttClient(Device(MqttProtocolVersion.V311, new MqttTlsOptions
        {
            ClientCertificate = certificate,
            TrustedCa = broker.Pki.Ca,
            TargetHost = "broker.example.org",
        }));

        var error = await Assert.ThrowsAsync<MqttConnectionException>(() => device.ConnectAsync());

        Assert.Equal(MqttConnectionError.TlsFailed, error.Error);
    }

    [Fact]
    public async Task Server_certificate_outside_the_trusted_ca_is_refused()
    {
        using var certificate = broker.IssueClientCertificate("dev-1");
        using var other = new TestPki("Other CA");
        await using var device = new MqttClient(Device(MqttProtocolVersion.V311, new MqttTlsOptions
        {
            ClientCertificate = certificate,
            TrustedCa = other.Ca,
            TargetHost = "localhost",
        }));

        var error = await Assert.ThrowsAsync<MqttConnectionException>(() => device.ConnectAsync());

        Assert.Equal(MqttConnectionError.TlsFailed, error.Error);
    }
}
