(function () {
  // the filters and buttons work only with this script: the page shows them only then
  var bar = document.querySelector('.filters');
  if (bar) bar.hidden = false;
  var boxes = document.querySelectorAll('input[data-filter]');
  function apply() {
    var show = {};
    boxes.forEach(function (b) { show[b.getAttribute('data-filter')] = b.checked; });
    document.querySelectorAll('details.finding').forEach(function (d) {
      d.classList.toggle('hidden', !show[d.getAttribute('data-severity')]);
    });
  }
  boxes.forEach(function (b) { b.addEventListener('change', apply); });
  document.querySelectorAll('button[data-action]').forEach(function (btn) {
    btn.addEventListener('click', function () {
      var open = btn.getAttribute('data-action') === 'expand';
      document.querySelectorAll('details.finding').forEach(function (d) { d.open = open; });
    });
  });
  window.addEventListener('beforeprint', function () {
    document.querySelectorAll('details.finding:not(.hidden)').forEach(function (d) { d.open = true; });
  });
})();
