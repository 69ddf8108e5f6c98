using System.Globalization;

namespace PatientStream.Ingest.Mapping.Expressions;

/// <summary>
/// A compiled mapping expression: arithmetic over named inputs and constants, evaluated against an array of input
/// values in the order of <see cref="Inputs"/>. Built by <see cref="ExpressionParser"/> only, so every expression
/// that exists is well-formed; evaluation cannot fail, though it can yield a non-finite number (division by zero),
/// which callers treat as "no value".
/// </summary>
public sealed class Expression
{
    private readonly Node _root;

    internal Expression(string text, Node root, IReadOnlyList<string> inputs)
    {
        Text = text;
        _root = root;
        Inputs = inputs;
    }

    /// <summary>The source text, for audit ("MAP = (sys + 2*dia)/3").</summary>
    public string Text { get; }

    /// <summary>The input names the expression may use, in the order <see cref="Evaluate"/> expects their values.</summary>
    public IReadOnlyList<string> Inputs { get; }

    /// <summary>Evaluates with <paramref name="values"/>[i] bound to <see cref="Inputs"/>[i].</summary>
    public double Evaluate(ReadOnlySpan<double> values)
    {
        if (values.Length != Inputs.Count)
        {
            throw new ArgumentException($"The expression takes {Inputs.Count} value(s), not {values.Length}.", nameof(values));
        }
        return _root.Evaluate(values);
    }

    public override string ToString() => Text;
}

/// <summary>An expression tree node. Closed set: numbers, inputs, unary minus, binary operators and the built-in functions.</summary>
internal abstract class Node
{
    public abstract double Evaluate(ReadOnlySpan<double> values);
}

internal sealed class NumberNode(double value) : Node
{
    public override double Evaluate(ReadOnlySpan<double> values) => value;

    public override string ToString() => value.ToString("R", CultureInfo.InvariantCulture);
}

internal sealed class InputNode(int index, string name) : Node
{
    public override double Evaluate(ReadOnlySpan<double> values) => values[index];

    public override string ToString() => name;
}

internal sealed class NegateNode(Node operand) : Node
{
    public override double Evaluate(ReadOnlySpan<double> values) => -operand.Evaluate(values);

    public override string ToString() => $"-({operand})";
}

internal sealed class BinaryNode(char op, Node left, Node right) : Node
{
    public override double Evaluate(ReadOnlySpan<double> values)
    {
        var a = left.Evaluate(values);
        var b = right.Evaluate(values);
        return op switch
        {
            '+' => a + b,
            '-' => a - b,
            '*' => a * b,
            _ => a / b,
        };
    }

    public override string ToString() => $"({left} {op} {right})";
}

/// <summary>The built-in functions: min and max of two or more, round to whole or to 0..10 decimals, abs, sqrt.</summary>
internal sealed class CallNode(string name, Node[] arguments) : Node
{
    public override double Evaluate(ReadOnlySpan<double> values)
    {
        var first = arguments[0].Evaluate(values);
        switch (name)
        {
            case "min":
            case "max":
                for (var i = 1; i < arguments.Length; i++)
                {
                    var next = arguments[i].Evaluate(values);
                    first = name == "min" ? Math.Min(first, next) : Math.Max(first, next);
                }
                return first;
            case "round":
                if (arguments.Length == 1)
                {
                    return Math.Round(first, MidpointRounding.AwayFromZero);
                }
                var digits = arguments[1].Evaluate(values);
                // Digits outside 0..10 or not whole cannot be rounded to; NaN is the "no value" every caller checks for.
                return double.IsFinite(first) && digits is >= 0 and <= 10 && digits == Math.Floor(digits)
                    ? Math.Round(first, (int)digits, MidpointRounding.AwayFromZero)
                    : double.NaN;
            case "abs":
                return Math.Abs(first);
            default:
                return Math.Sqrt(first);
        }
    }

    public override string ToString() => $"{name}({string.Join(", ", arguments.Select(a => a.ToString()))})";
}
