using System.Text;
using PatientStream.Ingest.Influx;

namespace PatientStream.Ingest.Tests.Influx;

public sealed class LineProtocolTests
{
    [Fact]
    public void A_point_is_written_with_sorted_tags_typed_fields_and_nanoseconds()
    {
        var point = new InfluxPoint("heart-rate",
            [new("quality", "ok"), new("device", "dev-1"), new("patient", "Patient/p1")],
            [InfluxField.OfNumber("value", 72.5), InfluxField.OfWhole("seq", 42), InfluxField.OfFlag("late", false), InfluxField.OfText("unit", "/min")],
            InfluxPoint.ToUnixNanoseconds(new DateTimeOffset(2026, 11, 21, 10, 0, 4, 123, TimeSpan.Zero)));

        Assert.Equal("heart-rate,device=dev-1,patient=Patient/p1,quality=ok value=72.5,seq=42i,late=false,unit=\"/min\" 1795255204123000000",
            LineProtocol.Format(point));
    }

    [Theory]
    [InlineData("cpu load", "cpu\\ load")]
    [InlineData("a,b", "a\\,b")]
    [InlineData("a=b", "a=b")]
    public void Measurements_escape_commas_and_spaces(string measurement, string expected) =>
        Assert.StartsWith(expected + ",t=v ", LineProtocol.Format(Point(measurement, "t", "v")), StringComparison.Ordinal);

    [Theory]
    [InlineData("a b", "a\\ b")]
    [InlineData("a,b", "a\\,b")]
    [InlineData("a=b", "a\\=b")]
    [InlineData("a\"b", "a\"b")]
    public void Tag_keys_and_values_escape_commas_equals_and_spaces(string text, string expected) =>
        Assert.StartsWith($"m,{expected}={expected} ", LineProtocol.Format(Point("m", text, text)), StringComparison.Ordinal);

    [Fact]
    public void String_fields_escape_quotes_and_backslashes_and_field_keys_escape_like_tags()
    {
        var point = new InfluxPoint("m", [], [InfluxField.OfText("a b=c", "say \"hi\" \\ bye")], 1);

        Assert.Equal("m a\\ b\\=c=\"say \\\"hi\\\" \\\\ bye\" 1", LineProtocol.Format(point));
    }

    [Fact]
    public void Empty_tag_values_are_left_out()
    {
        Assert.Equal("m value=1 5", LineProtocol.Format(new InfluxPoint("m", [new("device", "")], [InfluxField.OfNumber("value", 1)], 5)));
    }

    [Fact]
    public void Values_line_protocol_cannot_carry_are_refused_and_leave_the_builder_unchanged()
    {
        var builder = new StringBuilder("kept");

        Assert.Throws<LineProtocolException>(() => LineProtocol.Append(builder, Point("m", "device", "dev\n1")));
        Assert.Throws<LineProtocolException>(() => LineProtocol.Append(builder, new InfluxPoint("m", [], [InfluxField.OfNumber("v", double.NaN)], 1)));
        Assert.Throws<LineProtocolException>(() => LineProtocol.Append(builder, new InfluxPoint("m", [], [], 1)));
        Assert.Throws<LineProtocolException>(() => LineProtocol.Append(builder, new InfluxPoint("", [], [InfluxField.OfNumber("v", 1)], 1)));
        Assert.Equal("kept", builder.ToString());
    }

    private static InfluxPoint Point(string measurement, string tagKey, string tagValue) =>
        new(measurement, [new(tagKey, tagValue)], [InfluxField.OfNumber("value", 1)], 1);
}
