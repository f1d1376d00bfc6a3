"""Alarm rules: strict YAML rule files (config), compiled rules (model) and the pure engine that turns
events and time into RAISE/CLEAR decisions, including geofences, zone occupancy and corroboration
against a site. docs/rules.md is the reference for rule authors."""

from fairwatch.rules.engine import Engine
from fairwatch.rules.loader import load_rules, parse_rules
from fairwatch.rules.model import Kind, Rule, RuleSet
from fairwatch.rules.state import EngineState

__all__ = ["Engine", "EngineState", "Kind", "Rule", "RuleSet", "load_rules", "parse_rules"]
