/* The home pages' charts (app/templates/home/): each .home-chart carries its figures as
   data-chart JSON ({kind: bar|hbar|line|pie, title, unit, stacked, categories, series:
   [{name, data}]}); the same figures are in the table under it. Apache ECharts, served by
   the app (static/vendor/echarts). */
(function () {
  'use strict';

  function option(spec) {
    if (spec.kind === 'pie') {
      return {
        tooltip: {trigger: 'item', formatter: '{b}：{c} ' + spec.unit + '（{d}%）'},
        legend: {bottom: 0, type: 'scroll'},
        series: [{
          name: spec.title, type: 'pie', radius: ['35%', '62%'], center: ['50%', '45%'],
          data: spec.categories.map(function (name, i) {
            return {name: name, value: spec.series[0].data[i]};
          })
        }]
      };
    }
    var horizontal = spec.kind === 'hbar';
    var category = {type: 'category', data: spec.categories,
                    axisLabel: {interval: 0, width: horizontal ? 110 : 80, overflow: 'truncate'}};
    var value = {type: 'value', name: spec.unit, minInterval: 1};
    return {
      tooltip: {trigger: 'axis'},
      legend: {top: 0, type: 'scroll'},
      // a horizontal chart's unit sits after the value axis, on the right: room for it
      grid: {left: 8, right: horizontal ? 40 : 24, bottom: 8, top: 40, containLabel: true},
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: spec.series.map(function (s) {
        return {name: s.name, type: spec.kind === 'line' ? 'line' : 'bar', data: s.data,
                stack: spec.stacked ? 'total' : undefined, smooth: spec.kind === 'line'};
      })
    };
  }

  function draw(el) {
    var spec = JSON.parse(el.getAttribute('data-chart'));
    var chart = window.echarts.init(el, null, {locale: 'ZH', renderer: 'canvas'});
    chart.setOption(option(spec));
    el.setAttribute('data-drawn', '1');
    window.addEventListener('resize', function () { chart.resize(); });
  }

  function start() {
    if (!window.echarts) { return; }
    Array.prototype.forEach.call(document.querySelectorAll('.home-chart'), draw);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
