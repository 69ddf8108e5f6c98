namespace PatientStream.Mqtt.Tests.Subscribing;

public sealed class MqttTopicTests
{
    [Theory]
    [InlineData("ps/v1/devices/+/readings", "ps/v1/devices/dev-1/readings", true)]
    [InlineData("ps/v1/devices/+/readings", "ps/v1/devices/dev-1/status", false)]
    [InlineData("ps/v1/devices/+/readings", "ps/v1/devices/a/b/readings", false)]
    [InlineData("ps/#", "ps", true)]
    [InlineData("ps/#", "ps/v1/devices/dev-1/readings", true)]
    [InlineData("#", "ps/v1", true)]
    [InlineData("+", "ps", true)]
    [InlineData("+", "ps/v1", false)]
    [InlineData("+/+", "/finance", true)]
    [InlineData("/+", "/finance", true)]
    [InlineData("+", "/finance", false)]
    [InlineData("a/+/c", "a//c", true)]
    [InlineData("#", "$SYS/broker/uptime", false)]
    [InlineData("+/broker/uptime", "$SYS/broker/uptime", false)]
    [InlineData("$SYS/#", "$SYS/broker/uptime", true)]
    [InlineData("$SYS/+/uptime", "$SYS/broker/uptime", true)]
    [InlineData("$share/edge/ps/v1/devices/+/readings", "ps/v1/devices/dev-9/readings", true)]
    [InlineData("$share/edge/#", "$SYS/x", false)]
    [InlineData("a/b", "a/b", true)]
    [InlineData("a/b", "a/B", false)]
    public void Topic_filter_matching_follows_the_mqtt_rules(string filter, string topic, bool matches)
    {
        Assert.Equal(matches, MqttTopic.Matches(filter, topic));
    }

    [Theory]
    [InlineData("a/#", true)]
    [InlineData("#", true)]
    [InlineData("+/b/+", true)]
    [InlineData("$share/group/a/+", true)]
    [InlineData("a/#/b", false)]
    [InlineData("a#", false)]
    [InlineData("a+/b", false)]
    [InlineData("", false)]
    [InlineData("$share/group", false)]
    [InlineData("$share//a", false)]
    [InlineData("$share/gr+oup/a", false)]
    public void Topic_filter_validation_rejects_misplaced_wildcards(string filter, bool valid)
    {
        Assert.Equal(valid, MqttTopic.IsValidFilter(filter));
    }

    [Theory]
    [InlineData("a/b", true)]
    [InlineData("", false)]
    [InlineData("a/+", false)]
    [InlineData("a/#", false)]
    public void Topic_names_may_not_carry_wildcards(string topic, bool valid)
    {
        Assert.Equal(valid, MqttTopic.IsValidName(topic));
    }
}
