(function () {
  var table = document.querySelector('table.sortable');
  if (!table) return;
  var heads = table.querySelectorAll('th[data-sort]');
  heads.forEach(function (th, col) {
    th.style.cursor = 'pointer';
    th.addEventListener('click', function () {
      var kind = th.getAttribute('data-sort');
      var dir = th.getAttribute('data-dir') === 'asc' ? 'desc' : 'asc';
      heads.forEach(function (h) { h.removeAttribute('data-dir'); });
      th.setAttribute('data-dir', dir);
      var rows = Array.prototype.slice.call(table.tBodies[0].rows);
      rows.sort(function (a, b) {
        var x, y;
        if (kind === 'severity') { x = +a.getAttribute('data-severity'); y = +b.getAttribute('data-severity'); }
        else if (kind === 'num') { x = parseFloat(a.cells[col].textContent) || 0; y = parseFloat(b.cells[col].textContent) || 0; }
        else { x = a.cells[col].textContent.trim(); y = b.cells[col].textContent.trim(); }
        var c = x < y ? -1 : x > y ? 1 : 0;
        return dir === 'asc' ? c : -c;
      });
      rows.forEach(function (r) { table.tBodies[0].appendChild(r); });
    });
  });
})();
