using System.Threading.Channels;
using PatientStream.Mqtt.Tests.Client;

namespace PatientStream.Mqtt.Tests.Subscribing;

public sealed class MqttMessageDispatcherTests(PlainBroker broker) : IClassFixture<PlainBroker>
{
    [Fact]
    public async Task Messages_reach_the_handlers_whose_filters_match_and_are_acknowledged_after_them()
    {
        var root = Clients.UniqueId("ps/v1/devices");
        await using var edge = await Clients.ConnectAsync(Clients.Options(broker, MqttProtocolVersion.V500) with { AutoAcknowledge = false });
        await edge.SubscribeAsync(root + "/#");
        var readings = Channel.CreateUnbounded<string>();
        var everything = Channel.CreateUnbounded<string>();
        var dispatcher = new MqttMessageDispatcher();
        dispatcher.Register(root + "/+/readings", (m, ct) => readings.Writer.WriteAsync(m.Topic, ct));
        dispatcher.Register("$share/edge/" + root + "/#", (m, ct) => everything.Writer.WriteAsync(m.Topic, ct));
        using var stop = new CancellationTokenSource();
        var run = dispatcher.RunAsync(edge.Messages, stop.Token);
        await using var device = await Clients.ConnectAsync(Clients.Options(broker, MqttProtocolVersion.V500));

        await device.PublishAsync(root + "/dev-1/status", Clients.Bytes("online"));
        await device.PublishAsync(root + "/dev-1/readings", Clients.Bytes("{}"));

        using var deadline = new CancellationTokenSource(Clients.Deadline);
        Assert.Equal(root + "/dev-1/readings", await readings.Reader.ReadAsync(deadline.Token));
        Assert.Equal(root + "/dev-1/status", await everything.Reader.ReadAsync(deadline.Token));
        Assert.Equal(root + "/dev-1/readings", await everything.Reader.ReadAsync(deadline.Token));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Equal(0, dispatcher.Unmatched);
    }

    [Fact]
    public void Invalid_filter_is_refused_at_registration()
    {
        var dispatcher = new MqttMessageDispatcher();

        Assert.Throws<ArgumentException>(() => dispatcher.Register("a/#/b", (_, _) => ValueTask.CompletedTask));
    }
}
