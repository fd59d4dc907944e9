"""Oscar's report generators, with the shop's order report in place of Oscar's.

Oscar loads this module as ``dashboard.reports.utils`` through the forked ``dashboard``
app, so no other part of its reports needs forking."""

from oscar.apps.dashboard.reports.utils import GeneratorRepository as CoreGeneratorRepository

from apps.dashboard.reports.order_report import OrderReportGenerator


class GeneratorRepository(CoreGeneratorRepository):
    generators = [
        OrderReportGenerator if generator.code == OrderReportGenerator.code else generator
        for generator in CoreGeneratorRepository.generators
    ]
