namespace PatientStream.Mqtt.Tests.Client;

public sealed class MqttClientOptionsTests
{
    public static TheoryData<string, MqttClientOptions> Invalid => new()
    {
        { "Host", new MqttClientOptions { Host = "" } },
        { "Port", new MqttClientOptions { Port = 0 } },
        { "ClientId", new MqttClientOptions { ClientId = "", CleanSession = false } },
        { "KeepAlive", new MqttClientOptions { KeepAlive = TimeSpan.FromSeconds(70_000) } },
        { "Password", new MqttClientOptions { Password = new byte[] { 1 } } },
        { "Will", new MqttClientOptions { Will = new MqttApplicationMessage("a/#", default) } },
        { "MaxInflight", new MqttClientOptions { MaxInflight = 0 } },
        { "MaxQueuedMessages", new MqttClientOptions { MaxQueuedMessages = 0 } },
        { "MaximumPacketSize", new MqttClientOptions { MaximumPacketSize = 10 } },
        { "ReconnectDelay", new MqttClientOptions { ReconnectDelay = TimeSpan.FromSeconds(5), MaxReconnectDelay = TimeSpan.FromSeconds(1) } },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_setting_fails_at_construction_naming_the_setting(string setting, MqttClientOptions options)
    {
        var error = Assert.Throws<ArgumentException>(() => new MqttClient(options));

        Assert.Equal(setting, error.ParamName);
    }

    [Fact]
    public void Mqtt5_allows_an_empty_client_id_with_a_persistent_session()
    {
        new MqttClientOptions { ClientId = "", CleanSession = false, ProtocolVersion = MqttProtocolVersion.V500 }.Validate();
    }

    [Fact]
    public async Task Publishing_before_connecting_is_a_not_connected_error()
    {
        await using var client = new MqttClient(new MqttClientOptions());

        var error = await Assert.ThrowsAsync<MqttConnectionException>(async () => await client.PublishAsync("a/b", default));

        Assert.Equal(MqttConnectionError.NotConnected, error.Error);
    }

    [Fact]
    public async Task Unreachable_broker_is_a_transport_error()
    {
        await using var client = new MqttClient(new MqttClientOptions { Port = PatientStream.Testing.FreePort.Next() });

        var error = await Assert.ThrowsAsync<MqttConnectionException>(() => client.ConnectAsync());

        Assert.Equal(MqttConnectionError.TransportFailed, error.Error);
    }

    [Fact]
    public async Task Disposed_client_refuses_work()
    {
        var client = new MqttClient(new MqttClientOptions());
        await client.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await client.PublishAsync("a/b", default));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.ConnectAsync());
    }
}
