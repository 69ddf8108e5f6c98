using System.Globalization;
using PatientStream.Ingest.Mapping.Expressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PatientStream.Ingest.Mapping;

/// <summary>Reads typed values out of mapping nodes and fails with the node's position.</summary>
internal sealed class MappingContext(string source)
{
    public MappingException Fail(YamlNode node, string problem) => new(source, (int)node.Start.Line, problem);

    /// <summary>Compiles the expression at <paramref name="key"/>; a syntax error points at its line and column in the file.</summary>
    public Expression Expression(YamlMappingNode map, string key, IReadOnlyList<string> inputs)
    {
        var scalar = Scalar(map, key, required: true)!;
        try
        {
            return ExpressionParser.Parse(scalar.Value!, inputs);
        }
        catch (ExpressionException e)
        {
            // The node starts at its opening quote, if any; a multi-line scalar's column is only approximate.
            var quote = scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted ? 1 : 0;
            throw new MappingException(source, (int)scalar.Start.Line, e.Problem, (int)scalar.Start.Column + quote + e.Position);
        }
    }

    public static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    public YamlScalarNode? Scalar(YamlMappingNode map, string key, bool required)
    {
        var child = Child(map, key);
        if (child is null)
        {
            return required ? throw Fail(map, $"'{key}' is missing") : null;
        }
        return child is YamlScalarNode { Value: { Length: > 0 } } scalar ? scalar : throw Fail(child, $"'{key}' must be a non-empty value");
    }

    public string? Text(YamlMappingNode map, string key, bool required = true) => Scalar(map, key, required)?.Value;

    public double? Number(YamlMappingNode map, string key, bool required = true)
    {
        var scalar = Scalar(map, key, required);
        if (scalar is null)
        {
            return null;
        }
        return double.TryParse(scalar.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number)
            ? number
            : throw Fail(scalar, $"'{key}' must be a finite number, not '{scalar.Value}'");
    }

    public string? Choice(YamlMappingNode map, string key, string[] allowed)
    {
        var scalar = Scalar(map, key, required: false);
        if (scalar is null)
        {
            return null;
        }
        return allowed.Contains(scalar.Value) ? scalar.Value : throw Fail(scalar, $"'{key}' must be one of {string.Join(", ", allowed)}, not '{scalar.Value}'");
    }
}
